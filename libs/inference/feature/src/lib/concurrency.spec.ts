import { mapLimit, QueueFullError, Semaphore } from './concurrency';

const deferred = () => {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
};

describe('Semaphore', () => {
  it('lets `limit` holders in at once and the rest in arrival order', async () => {
    const gate = new Semaphore(2);
    const order: number[] = [];
    const gates = [0, 1, 2, 3].map(() => deferred());
    const runs = gates.map((g, i) =>
      gate.use(async () => {
        order.push(i);
        await g.promise;
      }),
    );
    await Promise.resolve();
    expect(order).toEqual([0, 1]);
    expect(gate.load).toEqual({ active: 2, waiting: 2 });
    gates[1].resolve();
    await runs[1];
    expect(order).toEqual([0, 1, 2]);
    gates.forEach((g) => g.resolve());
    await Promise.all(runs);
    expect(order).toEqual([0, 1, 2, 3]);
    expect(gate.load).toEqual({ active: 0, waiting: 0 });
  });

  it('refuses one more waiter than maxWaiting with QueueFullError, and serves the queue afterwards', async () => {
    const gate = new Semaphore(1, 1);
    const hold = deferred();
    const first = gate.use(() => hold.promise);
    const second = gate.use(async () => 'second');
    await expect(gate.use(async () => 'third')).rejects.toBeInstanceOf(QueueFullError);
    hold.resolve();
    await first;
    await expect(second).resolves.toBe('second');
    await expect(gate.use(async () => 'fourth')).resolves.toBe('fourth');
  });

  it('releases the slot when the work throws', async () => {
    const gate = new Semaphore(1);
    await expect(gate.use(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(gate.load).toEqual({ active: 0, waiting: 0 });
  });
});

describe('mapLimit', () => {
  it('keeps the input order of the results', async () => {
    await expect(mapLimit([30, 10, 20], 2, async (ms) => new Promise<number>((r) => setTimeout(() => r(ms), ms)))).resolves.toEqual([30, 10, 20]);
  });
});
