import { randomUUID } from 'node:crypto';
import { v5 as uuidv5 } from 'uuid';
import { z } from 'zod';
import type { EventDefinition } from './events';
import { ServiceNameSchema, type ServiceName } from './primitives';
import { childTraceContext, TRACEPARENT_PATTERN, TRACE_ID_PATTERN, type TraceContext } from './trace';

/** Kafka header names every mesh message carries (strings, UTF-8). */
export const HEADERS = {
  eventId: 'event-id',
  eventType: 'event-type',
  schemaVersion: 'schema-version',
  traceparent: 'traceparent',
  source: 'source',
  contentType: 'content-type',
} as const;

/** Extra headers on a dead-lettered message, beside the original headers. */
export const DLQ_HEADERS = {
  error: 'dlq-error',
  errorCode: 'dlq-error-code',
  originalTopic: 'dlq-original-topic',
  originalPartition: 'dlq-original-partition',
  originalOffset: 'dlq-original-offset',
  consumerGroup: 'dlq-consumer-group',
  attempts: 'dlq-attempts',
  failedAt: 'dlq-failed-at',
} as const;

export const CONTENT_TYPE = 'application/json';

/** The envelope around every payload; the same on Kafka and on the embedded in-process bus. */
export function envelopeSchema<S extends z.ZodType>(payload: S) {
  return z.object({
    eventId: z.uuid().describe('Unique per event; consumers de-duplicate on it'),
    type: z.string().min(1).describe('Event type, e.g. study.received'),
    schemaVersion: z.number().int().positive().describe('Payload schema version (matches the topic suffix)'),
    traceId: z.string().regex(TRACE_ID_PATTERN).describe('W3C trace id shared by every event of one study'),
    traceparent: z.string().regex(TRACEPARENT_PATTERN).describe('W3C traceparent of the emitting span'),
    occurredAt: z.iso.datetime({ offset: true }),
    source: ServiceNameSchema.describe('Service that produced the event'),
    subject: z.string().min(1).max(64).describe('Message key: the StudyInstanceUID'),
    payload,
  });
}

export interface Envelope<P = unknown> {
  eventId: string;
  type: string;
  schemaVersion: number;
  traceId: string;
  traceparent: string;
  occurredAt: string;
  source: ServiceName;
  subject: string;
  payload: P;
}

/** A message as it travels: key, bytes and string headers. */
export interface WireMessage {
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}

export type ContractViolationCode = 'EMPTY' | 'NOT_JSON' | 'ENVELOPE_INVALID' | 'TYPE_MISMATCH' | 'PAYLOAD_INVALID';

/** A message that does not fit its contract. The message names paths and rules, never values (no PHI). */
export class ContractViolationError extends Error {
  constructor(
    readonly code: ContractViolationCode,
    message: string,
  ) {
    super(message);
    this.name = 'ContractViolationError';
  }
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 10)
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.code}`)
    .join('; ');
}

export interface CreateEnvelopeOptions {
  source: ServiceName;
  subject: string;
  /** The trace the event belongs to; a new span is made in it. Omit only when a study first enters the mesh. */
  trace: Pick<TraceContext, 'traceId'>;
  eventId?: string;
  occurredAt?: Date;
}

/** Builds an envelope, validating the payload against its schema so a producer cannot emit a bad event. */
export function createEnvelope<S extends z.ZodType>(
  def: EventDefinition<S>,
  payload: z.input<S>,
  opts: CreateEnvelopeOptions,
): Envelope<z.infer<S>> {
  const parsed = def.payload.safeParse(payload);
  if (!parsed.success) {
    throw new ContractViolationError('PAYLOAD_INVALID', `${def.type} payload invalid: ${describeIssues(parsed.error)}`);
  }
  const span = childTraceContext(opts.trace);
  return {
    eventId: opts.eventId ?? randomUUID(),
    type: def.type,
    schemaVersion: def.schemaVersion,
    traceId: span.traceId,
    traceparent: span.traceparent,
    occurredAt: (opts.occurredAt ?? new Date()).toISOString(),
    source: opts.source,
    subject: opts.subject,
    payload: parsed.data as z.infer<S>,
  };
}

/** Serialises an envelope for the wire (Kafka or the embedded bus). */
export function encodeEnvelope(env: Envelope): WireMessage {
  return {
    key: env.subject,
    value: Buffer.from(JSON.stringify(env)),
    headers: {
      [HEADERS.eventId]: env.eventId,
      [HEADERS.eventType]: env.type,
      [HEADERS.schemaVersion]: String(env.schemaVersion),
      [HEADERS.traceparent]: env.traceparent,
      [HEADERS.source]: env.source,
      [HEADERS.contentType]: CONTENT_TYPE,
    },
  };
}

const schemaCache = new WeakMap<EventDefinition, z.ZodType>();

/** Parses bytes at a consumer's edge into a typed envelope; throws ContractViolationError otherwise. */
export function decodeEnvelope<S extends z.ZodType>(
  def: EventDefinition<S>,
  value: Buffer | null | undefined,
): Envelope<z.infer<S>> {
  if (!value || value.length === 0) throw new ContractViolationError('EMPTY', 'message has no value');
  let json: unknown;
  try {
    json = JSON.parse(value.toString('utf8'));
  } catch {
    throw new ContractViolationError('NOT_JSON', 'message value is not JSON');
  }
  let schema = schemaCache.get(def);
  if (!schema) {
    schema = envelopeSchema(def.payload);
    schemaCache.set(def, schema);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const payloadOnly = parsed.error.issues.every((i) => i.path[0] === 'payload');
    throw new ContractViolationError(
      payloadOnly ? 'PAYLOAD_INVALID' : 'ENVELOPE_INVALID',
      `${def.type} v${def.schemaVersion}: ${describeIssues(parsed.error)}`,
    );
  }
  const env = parsed.data as Envelope<z.infer<S>>;
  if (env.type !== def.type || env.schemaVersion !== def.schemaVersion) {
    throw new ContractViolationError(
      'TYPE_MISMATCH',
      `expected ${def.type} v${def.schemaVersion} on ${def.topic}, got ${env.type} v${env.schemaVersion}`,
    );
  }
  return env;
}

/** UUID v5 namespace for events derived from other events. */
const DERIVED_EVENT_NAMESPACE = '8b7f3c0e-2f55-4d0c-9a59-6a3f3b1f7d21';

/**
 * The id of the event a handler emits in response to `inputEventId`: deterministic (UUID v5), so a
 * redelivered input produces the same output id and every consumer de-duplicates it.
 */
export function derivedEventId(inputEventId: string, outputType: string): string {
  return uuidv5(`${inputEventId}:${outputType}`, DERIVED_EVENT_NAMESPACE);
}
