import { randomBytes } from 'node:crypto';

/** W3C Trace Context `traceparent` (version 00): `00-<32 hex trace id>-<16 hex span id>-<2 hex flags>`. */
export const TRACEPARENT_PATTERN = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
export const TRACE_ID_PATTERN = /^[0-9a-f]{32}$/;

export interface TraceContext {
  traceId: string;
  spanId: string;
  traceparent: string;
}

const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

function randomHex(bytes: number, zero: string): string {
  // All-zero ids are invalid per the W3C spec; the chance is negligible but the check is cheap.
  let hex = randomBytes(bytes).toString('hex');
  while (hex === zero) hex = randomBytes(bytes).toString('hex');
  return hex;
}

/** Starts a new trace (a new study entering the mesh). */
export function newTraceContext(): TraceContext {
  const traceId = randomHex(16, ZERO_TRACE);
  const spanId = randomHex(8, ZERO_SPAN);
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-01` };
}

/** Parses a traceparent header; returns undefined when it is absent or malformed. */
export function parseTraceparent(value: string | undefined): TraceContext | undefined {
  if (!value) return undefined;
  const m = TRACEPARENT_PATTERN.exec(value.trim());
  if (!m || m[1] === ZERO_TRACE || m[2] === ZERO_SPAN) return undefined;
  return { traceId: m[1], spanId: m[2], traceparent: value.trim() };
}

/** A child span in the same trace: what a service uses for the events it emits while handling one. */
export function childTraceContext(parent: Pick<TraceContext, 'traceId'>): TraceContext {
  const spanId = randomHex(8, ZERO_SPAN);
  return { traceId: parent.traceId, spanId, traceparent: `00-${parent.traceId}-${spanId}-01` };
}
