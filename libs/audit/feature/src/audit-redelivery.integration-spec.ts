import { buildCarePathwayEnvelopes, buildThinFlowEnvelopes, createPrismaClient, verifyChain, type AuditDatabase } from '@triage/audit-data-access';
import { consumerGroupId, encodeEnvelope, EVENTS, type Envelope } from '@triage/contracts';
import { KafkaEventBus } from '@triage/messaging';
import { bootstrapMesh, type RunningMesh } from '@triage/nest-platform';
import { createLogger } from '@triage/observability';
import { assertKafkaReachable, assertPostgresReachable, kafkaBrokers, testDatabaseUrl, uniqueSuffix, waitFor } from '@triage/testing';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { AuditFeatureModule } from './audit-feature.module';
import { AUDITED_EVENTS } from './audit.message.controller';

type Offsets = Map<string, Array<{ partition: number; offset: string }>>;

/**
 * Redelivery against the real broker and PostgreSQL: the same events published twice, and a
 * rebalance-style redelivery (the group's offsets set back, as when a member dies before its commit and
 * another member takes the partitions over) leave exactly one row per event in every table.
 */
describe('audit service: redelivered events leave no duplicate rows (Kafka + PostgreSQL)', () => {
  const brokers = kafkaBrokers();
  const databaseUrl = testDatabaseUrl();
  const groupPrefix = `itest-audit-${uniqueSuffix()}`;
  // The member that takes over after the "rebalance": its group has committed nothing of what the first handled.
  const takeoverPrefix = `${groupPrefix}-takeover`;
  const topics = AUDITED_EVENTS.map((e) => e.topic);
  const logger = createLogger({ service: 'itest', level: 'silent' });
  const kafka = new Kafka({ brokers, clientId: 'itest-audit-admin', logLevel: logLevel.NOTHING });
  let admin: Admin;
  let producer: KafkaEventBus;
  let db: AuditDatabase;
  let mesh: RunningMesh | undefined;

  const start = (prefix: string) =>
    bootstrapMesh({
      services: ['audit'],
      modules: () => [AuditFeatureModule],
      defaultPort: 0,
      env: { MESH_MODE: 'distributed', HTTP_PORT: '0', LOG_LEVEL: 'silent', KAFKA_BROKERS: brokers.join(','), KAFKA_GROUP_PREFIX: prefix, DATABASE_URL: databaseUrl },
    });

  async function ends(): Promise<Offsets> {
    const out: Offsets = new Map();
    for (const topic of topics) out.set(topic, (await admin.fetchTopicOffsets(topic)).map((p) => ({ partition: p.partition, offset: p.high })));
    return out;
  }

  /**
   * Commits `offsets` for a group that has no running member, every topic in one group join (kafkajs
   * admin.setOffsets joins the group once per topic: seconds each).
   */
  async function setGroupOffsets(prefix: string, offsets: Offsets): Promise<void> {
    const consumer = kafka.consumer({ groupId: consumerGroupId('audit', prefix), allowAutoTopicCreation: false });
    await consumer.connect();
    try {
      await consumer.subscribe({ topics, fromBeginning: true });
      const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
      await consumer.run({ autoCommit: false, eachBatch: async () => undefined });
      await joined;
      consumer.pause(topics.map((topic) => ({ topic })));
      await consumer.commitOffsets([...offsets].flatMap(([topic, partitions]) => partitions.map((p) => ({ topic, partition: p.partition, offset: p.offset }))));
    } finally {
      await consumer.disconnect();
    }
  }

  /** Waits until the group has committed up to `target` on every partition. */
  async function committedUpTo(prefix: string, target: Offsets): Promise<void> {
    const groupId = consumerGroupId('audit', prefix);
    await waitFor(
      async () => {
        const committed = await admin.fetchOffsets({ groupId, topics });
        return committed.every((t) =>
          t.partitions.every((p) => BigInt(p.offset) >= BigInt(target.get(t.topic)?.find((x) => x.partition === p.partition)?.offset ?? '0')),
        );
      },
      { timeoutMs: 60_000, intervalMs: 250, description: 'the audit group to commit every published event' },
    );
  }

  /**
   * Rows of the events this test published. Only those: other sessions' services consume the shared
   * topics too and may answer our events with their own (a priority, a report) under the same trace.
   */
  async function counts(envs: Envelope[]) {
    const p = db.prisma;
    const eventId = { in: envs.map((e) => e.eventId) };
    return {
      auditEvent: await p.auditEvent.count({ where: { eventId } }),
      study: await p.study.count({ where: { studyInstanceUid: envs[0].subject } }),
      studyUpdate: await p.studyUpdate.count({ where: { eventId } }),
      inferenceRun: await p.inferenceRun.count({ where: { eventId } }),
      finding: await p.finding.count({ where: { run: { eventId } } }),
      priority: await p.priorityDecision.count({ where: { eventId } }),
      report: await p.report.count({ where: { eventId } }),
      assignment: await p.assignment.count({ where: { eventId } }),
      alertStep: await p.alertStep.count({ where: { eventId } }),
      read: await p.read.count({ where: { eventId } }),
      verdict: await p.readVerdict.count({ where: { read: { eventId } } }),
      delivery: await p.delivery.count({ where: { eventId } }),
    };
  }

  beforeAll(async () => {
    await assertKafkaReachable(brokers);
    await assertPostgresReachable(databaseUrl);
    admin = kafka.admin();
    await admin.connect();
    producer = new KafkaEventBus({ brokers, clientId: 'itest-audit-producer', logger });
    await producer.connect();
    db = await createPrismaClient({ DATABASE_URL: databaseUrl });
  }, 60_000);

  afterAll(async () => {
    await mesh?.close();
    await producer?.disconnect();
    await admin?.disconnect();
    await db?.close();
  });

  it('the same batch twice, then the whole run again after the offsets are set back: one row per event', async () => {
    const flow = buildThinFlowEnvelopes({ stepMs: 500 });
    const more = buildCarePathwayEnvelopes(flow, 500);
    const envs: Envelope[] = [flow.received, more.updated, flow.inference, flow.priority, flow.report, more.assigned, more.alertRaised, more.alertAcknowledged, more.read, more.finalReport, more.delivery];
    const expected = { auditEvent: 11, study: 1, studyUpdate: 1, inferenceRun: 1, finding: 2, priority: 1, report: 2, assignment: 1, alertStep: 2, read: 1, verdict: 2, delivery: 1 };
    const topicOf = new Map(AUDITED_EVENTS.map((e) => [e.type, e.topic]));
    const publishAll = async () => {
      for (const env of envs) await producer.publish(topicOf.get(env.type) ?? EVENTS.studyReceived.topic, [encodeEnvelope(env)]);
    };

    // Start after what earlier runs left on the shared topics.
    const before = await ends();
    await setGroupOffsets(groupPrefix, before);
    mesh = await start(groupPrefix);

    await publishAll();
    await publishAll(); // the producer's retry after a lost ack, or an upstream redelivery: the same events again
    const afterTwice = await ends();
    await committedUpTo(groupPrefix, afterTwice);
    expect(await counts(envs)).toEqual(expected);
    const chainBefore = await db.prisma.auditEvent.findMany({ where: { eventId: { in: envs.map((e) => e.eventId) } }, select: { chainSeq: true } });

    // Rebalance-style: the member goes away before its offsets count (as when it dies before committing)
    // and another member consumes the partitions again from the older offsets. The takeover group
    // starts at those offsets, so it is handed every event the first member already recorded.
    await mesh.close();
    mesh = undefined;
    await setGroupOffsets(takeoverPrefix, before);
    mesh = await start(takeoverPrefix);
    await committedUpTo(takeoverPrefix, afterTwice);

    expect(await counts(envs)).toEqual(expected);
    const links = await db.prisma.auditEvent.findMany({ where: { eventId: { in: envs.map((e) => e.eventId) } }, select: { chainSeq: true } });
    expect(links.map((l) => l.chainSeq).sort()).toEqual(chainBefore.map((l) => l.chainSeq).sort()); // redeliveries add no links
    expect((await verifyChain(db.prisma)).ok).toBe(true);
    const lineage = await fetch(`${mesh.url}/lineage/${flow.traceId}`).then((r) => r.json() as Promise<{ pathway: { complete: boolean }; timeline: Array<{ eventId: string }> }>);
    expect(lineage.pathway.complete).toBe(true);
    for (const env of envs) expect(lineage.timeline.filter((t) => t.eventId === env.eventId)).toHaveLength(1);
  }, 180_000);
});
