import { Controller, Injectable, Module } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { consumerGroupId, createEnvelope, deadLetterTopic, DLQ_HEADERS, encodeEnvelope, EVENTS, newTraceContext, type Envelope, type ReportIssued } from '@triage/contracts';
import { KafkaEventBus } from '@triage/messaging';
import { createLogger } from '@triage/observability';
import { assertKafkaReachable, consumeAll, createTopics, kafkaBrokers, uniqueSuffix, waitFor } from '@triage/testing';
import { bootstrapMesh, type RunningMesh } from './bootstrap';
import { MeshEventContext } from './mesh-event.context';
import { MeshEventHandler } from './mesh-event.decorator';

/** Shared between the Nest app instances of one test: what the handler saw, and a gate to hold it. */
const state = {
  handled: [] as Array<{ eventId: string; subject: string; offset: string }>,
  hold: undefined as Promise<void> | undefined,
  started: [] as Array<{ eventId: string; partition: number; offset: string }>,
};

@Injectable()
class Probe {}

@Controller()
class ProbeController {
  @MeshEventHandler(EVENTS.reportIssued, 'audit')
  async onReport(@Payload() env: Envelope<ReportIssued>, @Ctx() ctx: MeshEventContext): Promise<void> {
    state.started.push({ eventId: env.eventId, partition: ctx.data.partition, offset: ctx.data.offset });
    if (state.hold) await state.hold;
    state.handled.push({ eventId: env.eventId, subject: env.subject, offset: ctx.data.offset });
  }
}

@Module({ controllers: [ProbeController], providers: [Probe] })
class ProbeModule {}

function payload(studyUid: string): ReportIssued {
  return {
    study: {
      studyInstanceUid: studyUid,
      modalities: ['CT'],
      patient: { id: 'P' },
      context: { patientClass: 'unknown', orderPriority: 'unknown' },
      receivedAt: new Date().toISOString(),
    },
    reportId: 'r',
    status: 'preliminary',
    priority: 'routine',
    diagnosticReport: { resourceType: 'DiagnosticReport' },
    issuedAt: new Date().toISOString(),
  };
}

describe('Nest mesh transport over the real Kafka broker', () => {
  const brokers = kafkaBrokers();
  const topic = EVENTS.reportIssued.topic;
  const dlqTopic = deadLetterTopic(topic);
  // A fresh consumer-group prefix per run: the group starts at the beginning of the topic.
  const groupPrefix = `itest-${uniqueSuffix()}`;
  const logger = createLogger({ service: 'itest', level: 'silent' });
  let producer: KafkaEventBus;
  let mesh: RunningMesh | undefined;

  const start = () =>
    bootstrapMesh({
      services: ['audit'],
      modules: () => [ProbeModule],
      defaultPort: 0,
      env: {
        MESH_MODE: 'distributed',
        HTTP_PORT: '0',
        LOG_LEVEL: 'silent',
        KAFKA_BROKERS: brokers.join(','),
        KAFKA_GROUP_PREFIX: groupPrefix,
        CONSUMER_MAX_ATTEMPTS: '2',
        CONSUMER_RETRY_BASE_MS: '10',
      },
    });

  beforeAll(async () => {
    await assertKafkaReachable(brokers);
    await createTopics(brokers, [{ topic, partitions: 6 }, dlqTopic]);
    producer = new KafkaEventBus({ brokers, clientId: 'itest-producer', logger });
    await producer.connect();
  });

  afterAll(async () => {
    await mesh?.close();
    await producer.disconnect();
  });

  it('sends poison messages to the dead-letter topic with the error and original headers, and keeps consuming', async () => {
    const study = `2.25.${Date.now()}1`;
    const good = createEnvelope(EVENTS.reportIssued, payload(study), { source: 'reporting', subject: study, trace: newTraceContext() });
    const wire = encodeEnvelope(good);
    const invalid = { ...good, eventId: '00000000-0000-4000-8000-000000000001', payload: { ...good.payload, priority: 'later' } };
    await producer.publish(topic, [
      { key: study, value: Buffer.from('this is not json'), headers: { 'x-test': 'poison-1' } },
      { ...wire, value: Buffer.from(JSON.stringify(invalid)), headers: { ...wire.headers, 'x-test': 'poison-2' } },
      wire,
    ]);
    mesh = await start();

    await waitFor(() => state.handled.find((h) => h.eventId === good.eventId), { timeoutMs: 60_000, description: 'the good message after the poison ones' });
    const dead = await waitFor(
      async () => {
        // Only this run's consumer group: other meshes on a shared broker dead-letter the same poison messages too.
        const mine = (await consumeAll(brokers, dlqTopic, { timeoutMs: 3_000 })).filter(
          (m) => m.key === study && m.headers[DLQ_HEADERS.consumerGroup] === consumerGroupId('audit', groupPrefix),
        );
        return mine.length >= 2 ? mine : undefined;
      },
      { timeoutMs: 30_000, description: 'both poison messages on the dead-letter topic' },
    );
    expect(dead.map((m) => m.headers['x-test']).sort()).toEqual(['poison-1', 'poison-2']);
    const byTest = Object.fromEntries(dead.map((m) => [m.headers['x-test'], m]));
    expect(byTest['poison-1'].headers[DLQ_HEADERS.errorCode]).toBe('NOT_JSON');
    expect(byTest['poison-1'].value).toBe('this is not json');
    expect(byTest['poison-2'].headers[DLQ_HEADERS.errorCode]).toBe('PAYLOAD_INVALID');
    expect(byTest['poison-2'].headers[DLQ_HEADERS.error]).toContain('payload.priority');
    expect(byTest['poison-2'].headers[DLQ_HEADERS.consumerGroup]).toBe(`${groupPrefix}.audit`);
    expect(byTest['poison-2'].headers['event-id']).toBe(wire.headers['event-id']);
    expect(byTest['poison-2'].headers[DLQ_HEADERS.originalTopic]).toBe(topic);
  });

  it('commits an offset only after its handler has finished', async () => {
    const study = `2.25.${Date.now()}2`;
    const env = createEnvelope(EVENTS.reportIssued, payload(study), { source: 'reporting', subject: study, trace: newTraceContext() });
    let release!: () => void;
    state.hold = new Promise<void>((resolve) => (release = resolve));
    await producer.publish(topic, [encodeEnvelope(env)]);
    const started = await waitFor(() => state.started.find((s) => s.eventId === env.eventId), { timeoutMs: 30_000, description: 'handler started' });
    const admin = producer.client.admin();
    await admin.connect();
    const committed = async () => {
      const [t] = await admin.fetchOffsets({ groupId: `${groupPrefix}.audit`, topics: [topic] });
      return BigInt(t.partitions.find((p) => p.partition === started.partition)!.offset);
    };
    try {
      // Longer than the auto-commit interval: had the offset been committed on receipt, it would show now.
      await new Promise((r) => setTimeout(r, 2500));
      expect(await committed()).toBeLessThanOrEqual(BigInt(started.offset));
      release();
      state.hold = undefined;
      await waitFor(async () => (await committed()) === BigInt(started.offset) + 1n, { timeoutMs: 15_000, description: 'offset committed after handling' });
      expect(state.handled.filter((h) => h.eventId === env.eventId)).toHaveLength(1);
    } finally {
      release();
      await admin.disconnect();
    }
  });
});
