import { randomBytes } from 'node:crypto';

export interface WaitForOptions {
  /** Give up after this long (default 10 s). */
  timeoutMs?: number;
  /** Pause between attempts (default 100 ms). */
  intervalMs?: number;
  /** What is being waited for, for the timeout message. */
  description?: string;
}

export class WaitForTimeoutError extends Error {
  constructor(
    readonly description: string,
    readonly timeoutMs: number,
    readonly attempts: number,
    readonly lastError: unknown,
  ) {
    const cause = lastError instanceof Error ? `; last error: ${lastError.message}` : '';
    super(`timed out after ${timeoutMs} ms (${attempts} attempts) waiting for ${description}${cause}`);
    this.name = 'WaitForTimeoutError';
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Polls `predicate` until it returns a truthy value, which is returned. Bounded in time: throws
 * WaitForTimeoutError with the description (and the predicate's last error, if it threw) on timeout.
 */
export async function waitFor<T>(
  predicate: () => T | Promise<T>,
  { timeoutMs = 10_000, intervalMs = 100, description = 'condition' }: WaitForOptions = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let attempts = 0;
  let lastError: unknown;
  for (;;) {
    attempts += 1;
    try {
      const value = await predicate();
      if (value) return value as NonNullable<T>;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    const left = deadline - Date.now();
    if (left <= 0) throw new WaitForTimeoutError(description, timeoutMs, attempts, lastError);
    await sleep(Math.min(intervalMs, left));
  }
}

/** A short random suffix for topic, group and database names, so test runs never collide. */
export function uniqueSuffix(): string {
  return `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}
