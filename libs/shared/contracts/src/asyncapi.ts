import { z } from 'zod';
import { ALL_EVENTS, deadLetterTopic, type EventDefinition } from './events';
import { CONTENT_TYPE, DLQ_HEADERS, envelopeSchema, HEADERS } from './envelope';
import { consumerGroupId, DEFAULT_DLQ_RETENTION_MS, DEFAULT_PARTITIONS, DEFAULT_RETENTION_MS } from './topology';

/** Version of the contracts as a whole (AsyncAPI info.version). Bump on any schema change. */
export const CONTRACTS_VERSION = '1.1.0';

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const out = z.toJSONSchema(schema, { target: 'draft-7', io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  delete out.$schema;
  return out;
}

function camel(type: string): string {
  return type.replace(/\.(\w)/g, (_, c: string) => c.toUpperCase());
}

const headerSchema = {
  type: 'object',
  required: Object.values(HEADERS),
  properties: {
    [HEADERS.eventId]: { type: 'string', format: 'uuid', description: 'Same as envelope eventId' },
    [HEADERS.eventType]: { type: 'string', description: 'Same as envelope type' },
    [HEADERS.schemaVersion]: { type: 'string', pattern: '^[0-9]+$', description: 'Same as envelope schemaVersion' },
    [HEADERS.traceparent]: { type: 'string', description: 'W3C Trace Context traceparent' },
    [HEADERS.source]: { type: 'string', description: 'Producing service' },
    [HEADERS.contentType]: { type: 'string', const: CONTENT_TYPE },
  },
};

const deadLetterHeaders = {
  type: 'object',
  description: 'The original message headers, plus these.',
  required: Object.values(DLQ_HEADERS),
  properties: {
    [DLQ_HEADERS.error]: { type: 'string', description: 'Why handling failed (paths and rules, never patient data)' },
    [DLQ_HEADERS.errorCode]: {
      type: 'string',
      description: 'EMPTY | NOT_JSON | ENVELOPE_INVALID | TYPE_MISMATCH | PAYLOAD_INVALID (never retried) or HANDLER_FAILED (after retries)',
    },
    [DLQ_HEADERS.originalTopic]: { type: 'string' },
    [DLQ_HEADERS.originalPartition]: { type: 'string' },
    [DLQ_HEADERS.originalOffset]: { type: 'string' },
    [DLQ_HEADERS.consumerGroup]: { type: 'string' },
    [DLQ_HEADERS.attempts]: { type: 'string', pattern: '^[0-9]+$' },
    [DLQ_HEADERS.failedAt]: { type: 'string', format: 'date-time' },
  },
};

function channelFor(e: EventDefinition) {
  return {
    address: e.topic,
    title: e.type,
    description: e.summary,
    messages: { [camel(e.type)]: { $ref: `#/components/messages/${camel(e.type)}` } },
    bindings: {
      kafka: {
        topic: e.topic,
        partitions: DEFAULT_PARTITIONS,
        replicas: 3,
        topicConfiguration: { 'cleanup.policy': ['delete'], 'retention.ms': DEFAULT_RETENTION_MS },
        bindingVersion: '0.5.0',
      },
    },
  };
}

function dlqChannelFor(e: EventDefinition) {
  return {
    address: deadLetterTopic(e.topic),
    title: `${e.type} dead letters`,
    description: `Messages from ${e.topic} that failed their schema or their handler after bounded retries. The value is the original bytes, unchanged.`,
    messages: { deadLetter: { $ref: '#/components/messages/deadLetter' } },
    bindings: {
      kafka: {
        topic: deadLetterTopic(e.topic),
        partitions: 1,
        replicas: 3,
        topicConfiguration: { 'cleanup.policy': ['delete'], 'retention.ms': DEFAULT_DLQ_RETENTION_MS },
        bindingVersion: '0.5.0',
      },
    },
  };
}

/** Builds the AsyncAPI 3.0 document from the event registry; docs/asyncapi.yaml is this, serialised. */
export function buildAsyncApiDocument(): Record<string, unknown> {
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};
  for (const e of ALL_EVENTS) {
    const id = camel(e.type);
    channels[id] = channelFor(e);
    channels[`${id}DeadLetter`] = dlqChannelFor(e);
    messages[id] = {
      name: e.type,
      title: `${e.type} v${e.schemaVersion}`,
      summary: e.summary,
      contentType: CONTENT_TYPE,
      headers: { $ref: '#/components/schemas/MeshHeaders' },
      payload: jsonSchema(envelopeSchema(e.payload)),
      correlationId: { description: 'W3C trace id of the study', location: '$message.header#/traceparent' },
      bindings: { kafka: { key: { type: 'string', description: e.key }, bindingVersion: '0.5.0' } },
    };
    operations[`${e.producer}_send_${id}`] = {
      action: 'send',
      channel: { $ref: `#/channels/${id}` },
      summary: `${e.producer} publishes ${e.type}`,
      messages: [{ $ref: `#/channels/${id}/messages/${id}` }],
    };
    for (const c of e.consumers) {
      operations[`${c}_receive_${id}`] = {
        action: 'receive',
        channel: { $ref: `#/channels/${id}` },
        summary: `${c} consumes ${e.type}`,
        messages: [{ $ref: `#/channels/${id}/messages/${id}` }],
        bindings: { kafka: { groupId: { type: 'string', enum: [consumerGroupId(c)] }, bindingVersion: '0.5.0' } },
      };
    }
  }
  messages.deadLetter = {
    name: 'dead-letter',
    title: 'Dead letter',
    summary: 'A message that could not be handled, with the reason in its headers.',
    contentType: 'application/octet-stream',
    headers: { $ref: '#/components/schemas/DeadLetterHeaders' },
    payload: { type: 'string', description: 'The original message value, byte for byte' },
  };
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'AI Triage Mesh events',
      version: CONTRACTS_VERSION,
      description: [
        'Events between the five services of the mesh (ingest, inference, routing, reporting, audit).',
        'Every value is a JSON envelope (eventId, type, schemaVersion, traceId, traceparent, occurredAt, source, subject, payload).',
        'Keys are the StudyInstanceUID, so the events of one study stay in order on one partition.',
        'Consumers de-duplicate on eventId. Messages that fail parsing or handling go, unchanged, to `<topic>.dlq`.',
        'Fields described as PHI carry patient data: never log them or use them as metric labels.',
        'Generated from libs/shared/contracts by `nx run contracts:asyncapi`; do not edit by hand.',
      ].join('\n'),
    },
    defaultContentType: CONTENT_TYPE,
    servers: {
      kafka: { host: 'localhost:9092', protocol: 'kafka', protocolVersion: '3.9', description: 'Apache Kafka (configure KAFKA_BROKERS)' },
    },
    channels,
    operations,
    components: { messages, schemas: { MeshHeaders: headerSchema, DeadLetterHeaders: deadLetterHeaders } },
  };
}

/** The README's topic table (Markdown), generated so the README and the code cannot disagree. */
export function topicsMarkdownTable(): string {
  const rows = ALL_EVENTS.map(
    (e) =>
      `| \`${e.topic}\` | \`${e.type}\` v${e.schemaVersion} | ${e.producer} | ${e.consumers.join(', ')} | ${e.key} | \`${deadLetterTopic(e.topic)}\` | ${e.summary} |`,
  );
  return [
    '| topic | event | producer | consumers | key | dead-letter topic | meaning |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}
