import { uniqueSuffix, waitFor, WaitForTimeoutError } from './wait-for.helper';

describe('waitFor', () => {
  it('returns the first truthy value of the predicate', async () => {
    let calls = 0;
    const value = await waitFor(() => (++calls >= 3 ? { calls } : undefined), { timeoutMs: 2_000, intervalMs: 5 });
    expect(value).toEqual({ calls: 3 });
  });

  it('awaits async predicates and retries after a throw', async () => {
    let calls = 0;
    const value = await waitFor(
      async () => {
        calls += 1;
        if (calls < 2) throw new Error('not yet');
        return 'ready';
      },
      { timeoutMs: 2_000, intervalMs: 5 },
    );
    expect(value).toBe('ready');
    expect(calls).toBe(2);
  });

  it('throws with the description and the last error on timeout, within the bound', async () => {
    const started = Date.now();
    const failure = waitFor(
      () => {
        throw new Error('broker says no');
      },
      { timeoutMs: 150, intervalMs: 20, description: 'the topic to appear' },
    );
    await expect(failure).rejects.toThrow(WaitForTimeoutError);
    await expect(failure).rejects.toThrow(/timed out after 150 ms .* waiting for the topic to appear; last error: broker says no/);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(140);
    expect(elapsed).toBeLessThan(2_000);
  });

  it('counts its attempts', async () => {
    const err = await waitFor(() => false, { timeoutMs: 100, intervalMs: 10 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WaitForTimeoutError);
    expect((err as WaitForTimeoutError).attempts).toBeGreaterThan(2);
  });
});

describe('uniqueSuffix', () => {
  it('differs between calls and is safe in topic and database names', () => {
    const suffixes = new Set(Array.from({ length: 200 }, () => uniqueSuffix()));
    expect(suffixes.size).toBe(200);
    for (const s of suffixes) expect(s).toMatch(/^[a-z0-9-]+$/);
  });
});
