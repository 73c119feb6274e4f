/** Thrown by a Semaphore whose queue is full. */
export class QueueFullError extends Error {
  constructor(readonly waiting: number) {
    super(`${waiting} waiting: the queue is full`);
    this.name = 'QueueFullError';
  }
}

/**
 * A counting semaphore: at most `limit` holders at once, the rest wait in arrival order, at most
 * `maxWaiting` of them (one more is refused with QueueFullError instead of growing the queue).
 */
export class Semaphore {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly limit: number,
    private readonly maxWaiting = Number.POSITIVE_INFINITY,
  ) {}

  /** Holders now, and how many wait. */
  get load(): { active: number; waiting: number } {
    return { active: this.active, waiting: this.waiting.length };
  }

  async use<T>(work: () => Promise<T>): Promise<T> {
    if (this.active < this.limit) this.active += 1;
    else if (this.waiting.length >= this.maxWaiting) throw new QueueFullError(this.waiting.length);
    // A releasing holder hands its slot straight to the next waiter, so nobody can jump the queue.
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active -= 1;
    }
  }
}

/** Maps over items with at most `limit` promises in flight; results keep the input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const gate = new Semaphore(limit);
  return Promise.all(items.map((item) => gate.use(() => fn(item))));
}
