import { computeQuality, toAuditBundle } from '@triage/audit-domain';
import { EVENTS, type Envelope } from '@triage/contracts';
import { AuditRepository } from './audit.repository';
import { buildCarePathwayEnvelopes } from './care-pathway.fixture';
import { verifyChain } from './chain/chain.verifier';
import { createPrismaClient, type AuditDatabase } from './db/prisma-client.factory';
import { PGLITE_MEMORY } from './db/database-target';
import { LineageExportRepository } from './lineage-export.repository';
import { QualityRepository } from './quality.repository';
import { buildQualityEnvelopes } from './quality.fixture';
import { RetentionRepository } from './retention.repository';
import { buildThinFlowEnvelopes } from './thin-flow.fixture';

const topicOf = (env: Envelope) => Object.values(EVENTS).find((e) => e.type === env.type)!.topic;

describe('retention purge (PGlite in memory, real migrations)', () => {
  let db: AuditDatabase;

  beforeAll(async () => {
    db = await createPrismaClient({ kind: 'pglite', dataDir: PGLITE_MEMORY }, { applyMigrations: true });
  }, 60_000);

  afterAll(async () => {
    await db?.close();
  });

  it('clears PHI of rows past the period; the chain verifies and the quality figures do not change', async () => {
    const repo = new AuditRepository(db.prisma);
    const quality = new QualityRepository(db.prisma);
    const now = new Date();
    const old = buildThinFlowEnvelopes({ start: new Date(now.getTime() - 90 * 86_400_000) });
    const oldMore = buildCarePathwayEnvelopes(old);
    const recent = buildThinFlowEnvelopes();
    const q = buildQualityEnvelopes(); // signed 2026-11-01
    const all: Envelope[] = [...Object.values(oldMore), old.received, old.inference, old.priority, old.report, recent.received, recent.report, q.shadowRun, ...q.reads];
    await repo.recordBatch(all.map((env) => ({ env, topic: topicOf(env) })));
    const before = computeQuality(await quality.cases());
    const lineageBefore = await repo.lineage({ traceId: old.traceId });

    const cutoff = new Date(now.getTime() - 30 * 86_400_000);
    const result = await new RetentionRepository(db.prisma).purge(cutoff, now);
    expect(result).toMatchObject({ studies: 1, reports: 2, reads: 1 + q.reads.length });

    const study = await db.prisma.study.findUniqueOrThrow({ where: { studyInstanceUid: old.studyInstanceUid } });
    expect(study).toMatchObject({ accessionNumber: null, patientId: null, patientIdIssuer: null, site: 'SITE-A', purgedAt: now });
    const kept = await db.prisma.study.findUniqueOrThrow({ where: { studyInstanceUid: recent.studyInstanceUid } });
    expect(kept).toMatchObject({ accessionNumber: 'ACC0001', patientId: 'TEST-PATIENT', purgedAt: null });
    const reports = await db.prisma.report.findMany({ where: { traceId: old.traceId } });
    for (const r of reports) {
      expect(r.resource).toEqual({ resourceType: 'DiagnosticReport', id: r.reportId, status: r.status, meta: { tag: [{ system: 'urn:triage-mesh:retention', code: 'purged' }] } });
    }
    expect((await db.prisma.report.findFirstOrThrow({ where: { traceId: recent.traceId } })).purgedAt).toBeNull();
    expect(await db.prisma.read.count({ where: { impression: { not: null } } })).toBe(0);

    const json = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? String(x) : x));
    const text = json(await db.prisma.study.findMany({ where: { purgedAt: { not: null } } })) + json(reports);
    expect(text).not.toMatch(/TEST-PATIENT|ACC0001|Synthetic/);

    expect(await verifyChain(db.prisma)).toMatchObject({ ok: true, checked: all.length });
    expect(computeQuality(await quality.cases())).toEqual(before);
    const lineageAfter = await repo.lineage({ traceId: old.traceId });
    expect(lineageAfter?.pathway).toEqual(lineageBefore?.pathway);
    const source = (await new LineageExportRepository(db.prisma).source(old.traceId))!;
    expect(source.patient).toBeUndefined();
    expect(JSON.stringify(toAuditBundle(source.records))).not.toContain('TEST-PATIENT');

    expect(await new RetentionRepository(db.prisma).purge(cutoff, now)).toMatchObject({ studies: 0, reports: 0, reads: 0 });
  }, 60_000);
});
