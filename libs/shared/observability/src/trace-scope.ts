import { AsyncLocalStorage } from 'node:async_hooks';

/** What is known about the current unit of work; attached to every log line. */
export interface TraceScope {
  traceId: string;
  eventId?: string;
}

const storage = new AsyncLocalStorage<TraceScope>();

/** Runs fn with the given trace scope; logs written inside carry its trace id. */
export function runInTraceScope<T>(scope: TraceScope, fn: () => T): T {
  return storage.run(scope, fn);
}

export function currentTraceScope(): TraceScope | undefined {
  return storage.getStore();
}
