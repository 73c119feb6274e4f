/**
 * Events per second through the mesh's contracts layer and Nest Kafka transport, against raw kafkajs
 * producing and consuming the same messages, side by side in one run, against the same broker.
 *
 *   node -r @swc-node/register bench/kafka-transport.bench.ts [--messages 20000] [--window 200]
 *
 * Each side publishes N single-event sends with at most `window` in flight and consumes them in one
 * consumer group; the clock runs from the first send to the last message handled.
 * Ours: createEnvelope (zod check) + encode → KafkaEventBus (idempotent producer, acks=all) → MeshServer
 * (decode + zod parse at the edge, retry/dead-letter wrapper, commit after handling) → a Nest handler.
 * Raw: JSON.stringify → kafkajs producer (defaults, acks=all) → eachMessage + JSON.parse, auto-commit.
 * The anchor sends one event per request, as a service emitting events one at a time does; a third row
 * sends 100 per request, the most a batching producer could get from this broker (a ceiling, not a target).
 */
import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { createEnvelope, encodeEnvelope, EVENTS, newTraceContext, type Envelope, type InferenceCompleted } from '@triage/contracts';
import { KafkaEventBus } from '@triage/messaging';
import { bootstrapMesh, EventPublisher, MeshEventHandler } from '@triage/nest-platform';
import { createLogger } from '@triage/observability';
import { Kafka, logLevel } from 'kafkajs';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const N = arg('messages', 20000);
const WINDOW = arg('window', 200);
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const runId = `${Date.now().toString(36)}`;

function samplePayload(i: number): InferenceCompleted {
  return {
    study: {
      studyInstanceUid: `2.25.${runId.length}${i}`,
      accessionNumber: `ACC${i}`,
      studyDescription: 'CT HEAD WO CONTRAST',
      modalities: ['CT'],
      bodyPart: 'HEAD',
      patient: { id: `BENCH-${i}`, name: 'BENCH^PATIENT', birthDate: '1950-01-01', sex: 'F' },
      context: { patientClass: 'emergency', orderPriority: 'stat' },
      receivedAt: new Date().toISOString(),
    },
    runs: [
      {
        modelId: 'head-ct-hyperdensity',
        modelVersion: '1.0.0',
        modelSha256: 'a'.repeat(64),
        mode: 'active',
        status: 'succeeded',
        startedAt: new Date().toISOString(),
        latencyMs: 42,
        findings: [
          {
            label: 'hyperdensity',
            kind: 'finding',
            code: { system: 'http://radelement.org', code: 'RDE1234', display: 'Intracranial hemorrhage' },
            probability: 0.93,
            threshold: 0.5,
            positive: true,
            critical: true,
          },
        ],
      },
    ],
  };
}

async function windowed(n: number, window: number, send: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: window }, async () => {
    while (next < n) {
      const i = next++;
      await send(i);
    }
  });
  await Promise.all(workers);
}

async function ensureTopic(topic: string): Promise<void> {
  const admin = new Kafka({ brokers, clientId: 'bench-admin', logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 6, replicationFactor: 1 }] });
  await admin.disconnect();
}

async function rawKafkajs(batch = 1): Promise<number> {
  const topic = `bench.raw${batch}.${runId}`;
  await ensureTopic(topic);
  const kafka = new Kafka({ brokers, clientId: 'bench-raw', logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  const consumer = kafka.consumer({ groupId: `bench-raw${batch}-${runId}` });
  await producer.connect();
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let received = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  await consumer.run({
    eachMessage: async ({ message }) => {
      JSON.parse(message.value!.toString('utf8'));
      if (++received === N) done();
    },
  });
  const trace = newTraceContext();
  const started = process.hrtime.bigint();
  const message = (i: number) => {
    const p = samplePayload(i);
    return { key: p.study.studyInstanceUid, value: JSON.stringify({ eventId: `${i}`, traceId: trace.traceId, payload: p }) };
  };
  await windowed(Math.ceil(N / batch), Math.max(1, Math.floor(WINDOW / batch)), (b) => {
    const messages = [];
    for (let i = b * batch; i < Math.min(N, (b + 1) * batch); i++) messages.push(message(i));
    return producer.send({ topic, acks: -1, messages });
  });
  await finished;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await consumer.disconnect();
  await producer.disconnect();
  return N / seconds;
}

let meshReceived = 0;
let meshDone: () => void = () => undefined;

@Controller()
class BenchController {
  @MeshEventHandler(EVENTS.inferenceCompleted, 'routing')
  async handle(@Payload() _env: Envelope<InferenceCompleted>): Promise<void> {
    if (++meshReceived === N) meshDone();
  }
}

@Module({ controllers: [BenchController] })
class BenchModule {}

async function meshTransport(): Promise<number> {
  const topic = EVENTS.inferenceCompleted.topic;
  await ensureTopic(topic).catch(() => undefined);
  // Skip what earlier runs left on the shared topic: the bench group starts at the end.
  const logger = createLogger({ service: 'bench', level: 'silent' });
  const bus = new KafkaEventBus({ brokers, clientId: 'bench-mesh', logger, fromBeginning: false });
  const finished = new Promise<void>((r) => (meshDone = r));
  const mesh = await bootstrapMesh({
    services: ['routing'],
    modules: () => [BenchModule],
    defaultPort: 0,
    bus,
    env: { MESH_MODE: 'distributed', HTTP_PORT: '0', LOG_LEVEL: 'silent', KAFKA_BROKERS: brokers.join(','), KAFKA_GROUP_PREFIX: `bench-${runId}` },
  });
  // Let the new group join before the clock starts (it reads from the latest offset).
  await new Promise((r) => setTimeout(r, 3000));
  const publisher = mesh.app.get(EventPublisher);
  const trace = newTraceContext();
  const started = process.hrtime.bigint();
  await windowed(N, WINDOW, (i) => {
    const p = samplePayload(i);
    return publisher.publish(EVENTS.inferenceCompleted, p, { source: 'inference', subject: p.study.studyInstanceUid, traceId: trace.traceId });
  });
  await finished;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await mesh.close();
  return N / seconds;
}

async function main(): Promise<void> {
  // Warm both code paths' JIT and connections a little, outside the measurement.
  const warm = createEnvelope(EVENTS.inferenceCompleted, samplePayload(0), { source: 'inference', subject: '1.2', trace: newTraceContext() });
  encodeEnvelope(warm);
  const raw = await rawKafkajs();
  const ours = await meshTransport();
  const ceiling = await rawKafkajs(100);
  const rows = [
    ['raw kafkajs, one event per send (anchor)', raw],
    ['contracts + Nest mesh transport', ours],
    ['raw kafkajs, 100 events per send (ceiling)', ceiling],
  ] as const;
  console.log(`messages per side: ${N}, send window: ${WINDOW}, partitions: 6, broker: ${brokers.join(',')}`);
  for (const [name, eps] of rows) console.log(`${name.padEnd(44)} ${eps.toFixed(0).padStart(8)} events/s`);
  console.log(`ratio (ours / anchor): ${(ours / raw).toFixed(2)}x   (ours / ceiling: ${(ours / ceiling).toFixed(2)}x)`);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
