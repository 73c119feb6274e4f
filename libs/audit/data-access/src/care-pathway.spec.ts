import { EVENTS, type Envelope } from '@triage/contracts';
import { AuditRepository, type RecordInput } from './audit.repository';
import { buildCarePathwayEnvelopes } from './care-pathway.fixture';
import { createPrismaClient, type AuditDatabase } from './db/prisma-client.factory';
import { PGLITE_MEMORY } from './db/database-target';
import { buildThinFlowEnvelopes } from './thin-flow.fixture';
import { verifyChain } from './chain/chain.verifier';

const topicOf = (env: Envelope) => Object.values(EVENTS).find((e) => e.type === env.type)!.topic;
const input = (env: Envelope): RecordInput => ({ env, topic: topicOf(env) });

describe('the care pathway in the audit store (PGlite in memory, real migrations)', () => {
  let db: AuditDatabase;
  let repo: AuditRepository;

  beforeAll(async () => {
    db = await createPrismaClient({ kind: 'pglite', dataDir: PGLITE_MEMORY }, { applyMigrations: true });
    repo = new AuditRepository(db.prisma);
  }, 60_000);

  afterAll(async () => {
    await db?.close();
  });

  function studyEvents() {
    const flow = buildThinFlowEnvelopes({ stepMs: 1_000 });
    const more = buildCarePathwayEnvelopes(flow, 2_000);
    return { flow, more, all: [flow.received, more.updated, flow.inference, flow.priority, flow.report, more.assigned, more.alertRaised, more.alertAcknowledged, more.read, more.finalReport, more.delivery] as Envelope[] };
  }

  it('records every event of one study in one batch, in any order, into a complete pathway with stage timings', async () => {
    const { flow, more, all } = studyEvents();
    const results = await repo.recordBatch([...all].reverse().map(input));
    expect(results.every((r) => !r.duplicate)).toBe(true);

    const lineage = (await repo.lineage({ traceId: flow.traceId }))!;
    expect(lineage.complete).toBe(true); // the thin flow's four stages, unchanged
    expect(lineage.stages.map((s) => s.stage)).toEqual(['received', 'inference', 'priority', 'report']);
    expect(lineage.pathway).toEqual({
      complete: true,
      missing: [],
      totalMs: 3_000 + 4 * 2_000,
      milestones: [
        { milestone: 'received', type: 'study.received', eventId: flow.received.eventId, at: flow.received.occurredAt, sincePreviousMs: null, sinceArrivalMs: 0 },
        { milestone: 'inference', type: 'inference.completed', eventId: flow.inference.eventId, at: flow.inference.occurredAt, sincePreviousMs: 1_000, sinceArrivalMs: 1_000 },
        { milestone: 'priority', type: 'priority.decided', eventId: flow.priority.eventId, at: flow.priority.occurredAt, sincePreviousMs: 1_000, sinceArrivalMs: 2_000 },
        { milestone: 'assigned', type: 'assignment.changed', eventId: more.assigned.eventId, at: more.assigned.occurredAt, sincePreviousMs: 3_000, sinceArrivalMs: 5_000 },
        { milestone: 'read-signed', type: 'read.signed', eventId: more.read.eventId, at: more.read.occurredAt, sincePreviousMs: 4_000, sinceArrivalMs: 9_000 },
        { milestone: 'final-report', type: 'report.issued', eventId: more.finalReport.eventId, at: more.finalReport.occurredAt, sincePreviousMs: 2_000, sinceArrivalMs: 11_000 },
      ],
    });
    expect(lineage.timeline.map((t) => t.type)).toEqual([
      'study.received',
      'study.updated',
      'inference.completed',
      'priority.decided',
      'report.issued',
      'assignment.changed',
      'alert.changed',
      'alert.changed',
      'read.signed',
      'report.issued',
      'delivery.recorded',
    ]);
    const detail = (eventId: string) => lineage.timeline.find((t) => t.eventId === eventId)!.detail;
    expect(detail(more.alertAcknowledged.eventId)).toMatchObject({ action: 'acknowledged', acknowledgedById: 'rad-neuro-1', tier: 'critical' });
    expect(detail(more.delivery.eventId)).toEqual({ deliveryId: `bundle-dr-1`, channel: 'fhir', target: 'ehr-test', messageType: 'transaction Bundle', attempt: 1, outcome: 'delivered' });
    expect(detail(more.read.eventId)).toMatchObject({ status: 'final', readerId: 'rad-neuro-1', verdicts: { confirmed: 2, rejected: 0 } });
    expect(detail(more.finalReport.eventId)).toMatchObject({ status: 'final', versionId: '2' });
    expect(detail(more.updated.eventId)).toEqual({ revision: 1, changes: ['instances-added'], addedInstanceCount: 1, instanceCount: 2 });
    const text = JSON.stringify(lineage);
    expect(text).not.toMatch(/Synthetic|TEST-PATIENT|ACC0001|Dr Reader/);

    const study = await db.prisma.study.findUniqueOrThrow({ where: { studyInstanceUid: flow.studyInstanceUid } });
    expect(study).toMatchObject({ instanceCount: 2, eventId: more.updated.eventId, site: 'SITE-A', ageBand: 'unknown' });
    const read = await db.prisma.read.findUniqueOrThrow({ where: { eventId: more.read.eventId }, include: { verdicts: true } });
    expect(read.verdicts.map((v) => [v.label, v.aiPositive, v.readPositive]).sort()).toEqual([
      ['effusion', false, false],
      ['pneumothorax', true, true],
    ]);
  });

  it('a batch recorded twice, and duplicates inside one batch, add no rows and no links', async () => {
    const { flow, all } = studyEvents();
    const batch = [...all, all[3], all[7]].map(input);
    const first = await repo.recordBatch(batch);
    expect(first.map((r) => r.duplicate)).toEqual([...all.map(() => false), true, true]);
    const count = async () => ({
      events: await db.prisma.auditEvent.count({ where: { traceId: flow.traceId } }),
      alerts: await db.prisma.alertStep.count({ where: { traceId: flow.traceId } }),
      reads: await db.prisma.read.count({ where: { traceId: flow.traceId } }),
      verdicts: await db.prisma.readVerdict.count({ where: { read: { traceId: flow.traceId } } }),
      deliveries: await db.prisma.delivery.count({ where: { traceId: flow.traceId } }),
      reports: await db.prisma.report.count({ where: { traceId: flow.traceId } }),
      runs: await db.prisma.inferenceRun.count({ where: { traceId: flow.traceId } }),
      updates: await db.prisma.studyUpdate.count({ where: { traceId: flow.traceId } }),
    });
    const before = await count();
    expect(before).toEqual({ events: 11, alerts: 2, reads: 1, verdicts: 2, deliveries: 1, reports: 2, runs: 1, updates: 1 });
    const head = await db.prisma.auditChainHead.findUniqueOrThrow({ where: { id: 1 } });
    const again = await repo.recordBatch(batch);
    expect(again.every((r) => r.duplicate)).toBe(true);
    expect(await count()).toEqual(before);
    expect(await db.prisma.auditChainHead.findUniqueOrThrow({ where: { id: 1 } })).toEqual(head);
    expect((await verifyChain(db.prisma)).ok).toBe(true);
  });

  it('rolls the whole batch back when one event is on the wrong topic, and refuses it for good', async () => {
    const { flow, all } = studyEvents();
    const bad = [...all.map(input), { env: all[0], topic: EVENTS.reportIssued.topic }];
    await expect(repo.recordBatch(bad)).rejects.toMatchObject({ code: 'TOPIC_MISMATCH', retryable: false });
    expect(await db.prisma.auditEvent.count({ where: { traceId: flow.traceId } })).toBe(0);
  });
});
