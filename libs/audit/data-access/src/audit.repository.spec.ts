import { EVENTS, type Envelope } from '@triage/contracts';
import { AuditRepository } from './audit.repository';
import { AuditException } from './audit.exception';
import { createPrismaClient, type AuditDatabase } from './db/prisma-client.factory';
import { PGLITE_MEMORY } from './db/database-target';
import { buildThinFlowEnvelopes } from './thin-flow.fixture';

describe('AuditRepository (PGlite in memory, real migrations)', () => {
  let db: AuditDatabase;
  let repo: AuditRepository;

  beforeAll(async () => {
    db = await createPrismaClient({ kind: 'pglite', dataDir: PGLITE_MEMORY }, { applyMigrations: true });
    repo = new AuditRepository(db.prisma);
  }, 60_000);

  afterAll(async () => {
    await db?.close();
  });

  type Stage = 'received' | 'inference' | 'priority' | 'report';
  async function recordAll(flow: ReturnType<typeof buildThinFlowEnvelopes>, order: Stage[] = ['received', 'inference', 'priority', 'report']) {
    const topics = {
      received: EVENTS.studyReceived.topic,
      inference: EVENTS.inferenceCompleted.topic,
      priority: EVENTS.priorityDecided.topic,
      report: EVENTS.reportIssued.topic,
    };
    for (const k of order) await repo.record(flow[k] as Envelope, topics[k]);
  }

  it('records the four events of one study into a complete, ordered timeline', async () => {
    const flow = buildThinFlowEnvelopes({ stepMs: 1_250 });
    await recordAll(flow);

    const lineage = await repo.lineage({ traceId: flow.traceId });
    expect(lineage).not.toBeNull();
    expect(lineage!.complete).toBe(true);
    expect(lineage!.missing).toEqual([]);
    expect(lineage!.studyInstanceUid).toBe(flow.studyInstanceUid);
    expect(lineage!.stages.map((s) => s.stage)).toEqual(['received', 'inference', 'priority', 'report']);
    expect(lineage!.stages.map((s) => s.eventId)).toEqual([flow.received.eventId, flow.inference.eventId, flow.priority.eventId, flow.report.eventId]);
    for (const s of lineage!.stages.slice(1)) {
      expect(s.sincePreviousMs).toBeGreaterThanOrEqual(0);
      expect(s.sinceArrivalMs).toBeGreaterThanOrEqual(0);
    }
    expect(lineage!.stages.map((s) => s.sinceArrivalMs)).toEqual([0, 1_250, 2_500, 3_750]);
    expect(lineage!.stages[0].sincePreviousMs).toBeNull();

    const [received, inference, priority, report] = lineage!.stages;
    expect(received.stage === 'received' && received.summary).toMatchObject({ modalities: ['DX'], instanceCount: 1, originProtocol: 'stow-rs' });
    expect(inference.stage === 'inference' && inference.summary).toEqual({
      models: [{ modelId: 'chest-xray-triage', modelVersion: '1.0.0', mode: 'active', status: 'succeeded', latencyMs: 42.5 }],
      positiveFindings: [
        {
          modelId: 'chest-xray-triage',
          label: 'pneumothorax',
          code: { system: 'http://snomed.info/sct', code: '36118008', display: 'Pneumothorax' },
          probability: 0.91,
          threshold: 0.5,
          critical: true,
        },
      ],
    });
    expect(priority.stage === 'priority' && priority.summary).toMatchObject({ priority: 'critical', ruleSetVersion: 'rules-1', reasons: [{ ruleId: 'critical-finding' }] });
    expect(report.stage === 'report' && report.summary).toEqual({
      reportId: 'dr-1',
      status: 'preliminary',
      priority: 'critical',
      diagnosticReport: flow.report.payload.diagnosticReport,
    });

    const byStudy = await repo.lineage({ studyInstanceUid: flow.studyInstanceUid });
    expect(byStudy).toEqual(lineage);
    expect(await repo.lineage({ accessionNumber: 'ACC0001' })).toEqual(lineage);
    expect(await repo.lineage({ accessionNumber: 'NO-SUCH-ACC' })).toBeNull();
  });

  it('keeps pipeline order and completeness when events arrive out of order', async () => {
    const flow = buildThinFlowEnvelopes();
    await recordAll(flow, ['report', 'inference', 'received', 'priority']);
    const lineage = await repo.lineage({ traceId: flow.traceId });
    expect(lineage!.complete).toBe(true);
    expect(lineage!.stages.map((s) => s.stage)).toEqual(['received', 'inference', 'priority', 'report']);
  });

  it('reports a partial timeline with the missing stages', async () => {
    const flow = buildThinFlowEnvelopes();
    await repo.record(flow.inference, EVENTS.inferenceCompleted.topic);
    await repo.record(flow.priority, EVENTS.priorityDecided.topic);
    const lineage = await repo.lineage({ traceId: flow.traceId });
    expect(lineage!.complete).toBe(false);
    expect(lineage!.missing).toEqual(['received', 'report']);
    expect(lineage!.stages.map((s) => [s.stage, s.sinceArrivalMs])).toEqual([
      ['inference', null],
      ['priority', null],
    ]);
  });

  it('records a redelivered eventId once, also when the deliveries are concurrent', async () => {
    const flow = buildThinFlowEnvelopes();
    expect(await repo.record(flow.inference, EVENTS.inferenceCompleted.topic)).toEqual({ duplicate: false });
    expect(await repo.record(flow.inference, EVENTS.inferenceCompleted.topic)).toEqual({ duplicate: true });
    const results = await Promise.all([1, 2, 3].map(() => repo.record(flow.priority, EVENTS.priorityDecided.topic)));
    expect(results.filter((r) => !r.duplicate)).toHaveLength(1);

    const where = { eventId: { in: [flow.inference.eventId, flow.priority.eventId] } };
    expect(await db.prisma.auditEvent.count({ where })).toBe(2);
    expect(await db.prisma.inferenceRun.count({ where: { eventId: flow.inference.eventId } })).toBe(1);
    expect(await db.prisma.finding.count({ where: { run: { eventId: flow.inference.eventId } } })).toBe(2);
    expect(await db.prisma.priorityDecision.count({ where: { eventId: flow.priority.eventId } })).toBe(1);
  });

  it('keeps the newest study.received of a study whatever the delivery order', async () => {
    const first = buildThinFlowEnvelopes();
    const later = buildThinFlowEnvelopes({ studyInstanceUid: first.studyInstanceUid, start: new Date(Date.now() + 60_000) });
    later.received.payload.instanceCount = 5;
    await repo.record(later.received, EVENTS.studyReceived.topic);
    await repo.record(first.received, EVENTS.studyReceived.topic);
    const study = await db.prisma.study.findUnique({ where: { studyInstanceUid: first.studyInstanceUid } });
    expect(study).toMatchObject({ instanceCount: 5, traceId: later.traceId, eventId: later.received.eventId });

    const latest = await repo.lineage({ studyInstanceUid: first.studyInstanceUid });
    expect(latest!.traceId).toBe(later.traceId);
    expect(latest!.otherTraceIds).toEqual([first.traceId]);
  });

  it('rolls back the audit event when its stage rows cannot be written', async () => {
    const flow = buildThinFlowEnvelopes();
    const bad = { ...flow.priority, payload: { ...flow.priority.payload, ruleSetVersion: 'x'.repeat(65) } };
    await expect(repo.record(bad, EVENTS.priorityDecided.topic)).rejects.toThrow();
    expect(await db.prisma.auditEvent.count({ where: { eventId: flow.priority.eventId } })).toBe(0);
    expect(await repo.record(flow.priority, EVENTS.priorityDecided.topic)).toEqual({ duplicate: false });
  });

  it('refuses events it has no stage for, or that came on the wrong topic', async () => {
    const flow = buildThinFlowEnvelopes();
    await expect(repo.record({ ...flow.report, type: 'report.deleted' }, EVENTS.reportIssued.topic)).rejects.toBeInstanceOf(AuditException);
    await expect(repo.record(flow.report, EVENTS.priorityDecided.topic)).rejects.toThrow(/expected triage.report.issued.v1/);
  });

  it('answers null for an unknown trace or study', async () => {
    expect(await repo.lineage({ traceId: 'f'.repeat(32) })).toBeNull();
    expect(await repo.lineage({ studyInstanceUid: '1.2.3.4.5' })).toBeNull();
  });
});
