import { Controller, Injectable, Module } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { createEnvelope, DLQ_HEADERS, deadLetterTopic, encodeEnvelope, EVENTS, newTraceContext, type DeliveryRecorded, type Envelope } from '@triage/contracts';
import { InProcessEventBus, type InboundMessage } from '@triage/messaging';
import { createLogger } from '@triage/observability';
import { bootstrapMesh, type RunningMesh } from './bootstrap';
import { MeshEventBatchHandler, type MeshBatchItem } from './mesh-event.decorator';
import { MeshServer } from './mesh.server';

const studyUid = '2.25.77';

@Injectable()
class BatchRecorder {
  calls: Array<Array<{ topic: string; eventId: string }>> = [];
  failWhenLongerThan = Infinity;
}

@Controller()
class BatchController {
  constructor(private readonly rec: BatchRecorder) {}

  @MeshEventBatchHandler([EVENTS.deliveryRecorded, EVENTS.assignmentChanged], 'audit', { maxBatchSize: 4 })
  async onEvents(@Payload() items: MeshBatchItem[]): Promise<void> {
    if (items.length > this.rec.failWhenLongerThan) throw new Error('batch too long for this test');
    this.rec.calls.push(items.map((i) => ({ topic: i.topic, eventId: i.envelope.eventId })));
  }
}

@Module({ controllers: [BatchController], providers: [BatchRecorder] })
class BatchModule {}

function delivery(attempt: number): Envelope<DeliveryRecorded> {
  return createEnvelope(
    EVENTS.deliveryRecorded,
    {
      study: {
        studyInstanceUid: studyUid,
        modalities: ['CT'],
        patient: { id: 'SECRET-PATIENT-ID' },
        context: { patientClass: 'unknown', orderPriority: 'unknown' },
        receivedAt: new Date().toISOString(),
      },
      deliveryId: 'd-1',
      channel: 'hl7',
      target: 'ris',
      messageType: 'ORU^R01',
      attempt,
      outcome: 'delivered',
      at: new Date().toISOString(),
    },
    { source: 'reporting', subject: studyUid, trace: newTraceContext() },
  );
}

describe('MeshServer batch handlers over the in-process bus', () => {
  let mesh: RunningMesh;
  let bus: InProcessEventBus;
  const dlq: InboundMessage[] = [];
  const logger = createLogger({ service: 'test', level: 'silent' });

  beforeAll(async () => {
    bus = new InProcessEventBus(logger, 1);
    await bus.connect();
    await bus.subscribe({ groupId: 'dlq-reader', topics: [deadLetterTopic(EVENTS.deliveryRecorded.topic)], handler: async (m) => void dlq.push(m) });
    mesh = await bootstrapMesh({
      services: ['audit'],
      modules: () => [BatchModule],
      defaultPort: 0,
      env: { MESH_MODE: 'embedded', HTTP_PORT: '0', LOG_LEVEL: 'silent', CONSUMER_MAX_ATTEMPTS: '2', CONSUMER_RETRY_BASE_MS: '5' },
      bus,
      logger,
    });
  });

  afterAll(async () => {
    await mesh.close();
  });

  const rec = () => mesh.app.get(BatchRecorder);

  it('hands queued messages over in runs of at most maxBatchSize, parsed, in order', async () => {
    rec().calls = [];
    const envs = Array.from({ length: 6 }, (_, i) => delivery(i + 1));
    await bus.publish(EVENTS.deliveryRecorded.topic, envs.map(encodeEnvelope));
    await bus.whenIdle();
    expect(rec().calls.map((c) => c.length)).toEqual([4, 2]);
    expect(rec().calls.flat().map((c) => c.eventId)).toEqual(envs.map((e) => e.eventId));
    expect(rec().calls.flat().every((c) => c.topic === EVENTS.deliveryRecorded.topic)).toBe(true);
  });

  it('a poison message in a run: the run is handled again one by one, only the poison is dead-lettered', async () => {
    rec().calls = [];
    dlq.length = 0;
    const [a, b] = [delivery(1), delivery(2)];
    await bus.publish(EVENTS.deliveryRecorded.topic, [encodeEnvelope(a), { key: studyUid, value: Buffer.from('not json'), headers: {} }, encodeEnvelope(b)]);
    await bus.whenIdle();
    expect(rec().calls).toEqual([[{ topic: EVENTS.deliveryRecorded.topic, eventId: a.eventId }], [{ topic: EVENTS.deliveryRecorded.topic, eventId: b.eventId }]]);
    expect(dlq).toHaveLength(1);
    expect(dlq[0].headers[DLQ_HEADERS.errorCode]).toBe('NOT_JSON');
  });

  it('a run that fails as a whole lands message by message', async () => {
    rec().calls = [];
    rec().failWhenLongerThan = 1;
    const envs = [delivery(1), delivery(2), delivery(3)];
    await bus.publish(EVENTS.deliveryRecorded.topic, envs.map(encodeEnvelope));
    await bus.whenIdle();
    rec().failWhenLongerThan = Infinity;
    expect(rec().calls.map((c) => c.map((x) => x.eventId))).toEqual(envs.map((e) => [e.eventId]));
  });
});

describe('MeshServer refuses a service that mixes batch and single handlers', () => {
  it('fails at listen with a clear error, before subscribing anything', async () => {
    const logger = createLogger({ service: 'test', level: 'silent' });
    const bus = new InProcessEventBus(logger);
    const server = new MeshServer({ bus, logger, retry: { maxAttempts: 1, baseDelayMs: 1 }, groupPrefix: 'triage' });
    // Two functions: Nest stores the extras on the function object.
    server.addHandler('mesh-batch:audit:x', async () => undefined, true, { meshService: 'audit', meshBatchEvents: [EVENTS.deliveryRecorded], maxBatchSize: 10 });
    server.addHandler(EVENTS.reportIssued.topic, async () => undefined, true, { meshService: 'audit', meshEvent: EVENTS.reportIssued });
    const err = await new Promise<unknown>((resolve) => void server.listen(resolve));
    expect(String(err)).toMatch(/mixes @MeshEventBatchHandler and @MeshEventHandler/);
  });
});
