import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditRepository, buildThinFlowEnvelopes, createPrismaClient, linkHash, PGLITE_MEMORY, type AuditDatabase } from '@triage/audit-data-access';
import { EVENTS } from '@triage/contracts';
import { createLogger } from '@triage/observability';
import { AuditChainService, auditChainSettings } from './audit-chain.service';

describe('auditChainSettings', () => {
  it('is off under NODE_ENV=test unless set, 15 minutes otherwise, with the directory under DATA_DIR', () => {
    expect(auditChainSettings({ DATA_DIR: '/d' }, { NODE_ENV: 'test' })).toEqual({ intervalMs: 0, dir: '/d/audit-checkpoints' });
    expect(auditChainSettings({ DATA_DIR: '/d' }, {})).toEqual({ intervalMs: 900_000, dir: '/d/audit-checkpoints' });
    expect(auditChainSettings({ DATA_DIR: '/d' }, { NODE_ENV: 'test', AUDIT_CHECKPOINT_INTERVAL_MS: '500', AUDIT_CHECKPOINT_DIR: '/cp' })).toEqual({
      intervalMs: 500,
      dir: '/cp',
    });
    expect(() => auditChainSettings({ DATA_DIR: '/d' }, { AUDIT_CHECKPOINT_INTERVAL_MS: '1e3' })).toThrow(/whole number/);
  });
});

describe('AuditChainService (PGlite in memory)', () => {
  let db: AuditDatabase;
  let repo: AuditRepository;
  let dir: string;
  const logger = createLogger({ service: 'test', level: 'silent' });

  beforeAll(async () => {
    db = await createPrismaClient({ kind: 'pglite', dataDir: PGLITE_MEMORY }, { applyMigrations: true });
    repo = new AuditRepository(db.prisma);
    for (let i = 0; i < 2; i++) {
      const flow = buildThinFlowEnvelopes();
      await repo.record(flow.received, EVENTS.studyReceived.topic);
      await repo.record(flow.report, EVENTS.reportIssued.topic);
    }
  }, 60_000);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'audit-chain-svc-'));
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  afterAll(async () => {
    await db?.close();
  });

  it('writes checkpoints periodically when an interval is set, and stops on shutdown', async () => {
    const service = new AuditChainService(db.prisma, { intervalMs: 20, dir }, logger);
    service.onApplicationBootstrap();
    const deadline = Date.now() + 5_000;
    while (readdirSync(dir).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await service.onApplicationShutdown();
    expect(readdirSync(dir).filter((n) => n.endsWith('.json')).length).toBeGreaterThan(0);
    expect(service.latestCheckpoint()).toMatchObject({ count: 4 });
  });

  it('schedules nothing with interval 0', async () => {
    const service = new AuditChainService(db.prisma, { intervalMs: 0, dir: join(dir, 'never') }, logger);
    service.onApplicationBootstrap();
    await new Promise((r) => setTimeout(r, 50));
    await service.onApplicationShutdown();
    expect(existsSync(join(dir, 'never'))).toBe(false);
  });

  it('verify() checks the newest checkpoint and catches a whole-chain rewrite; no checkpoint over a broken chain', async () => {
    const service = new AuditChainService(db.prisma, { intervalMs: 0, dir }, logger);
    expect(await service.verify()).toMatchObject({ ok: true, checked: 4 });
    const cp = await service.checkpoint();
    expect(cp).toMatchObject({ count: 4 });
    expect(await service.verify()).toMatchObject({ ok: true, checkpoint: { ok: true, lastId: cp!.lastId } });

    // A superuser edits the first row and re-hashes the whole chain and its head.
    const rows = await db.prisma.auditEvent.findMany({ orderBy: { chainSeq: 'asc' } });
    const original = rows.map((r) => ({ id: r.id, source: r.source, prevHash: r.prevHash, hash: r.hash }));
    const head = await db.prisma.auditChainHead.findUniqueOrThrow({ where: { id: 1 } });
    let prevHash = '0'.repeat(64);
    for (const [i, r] of rows.entries()) {
      const edited = { ...r, source: i === 0 ? 'forged' : r.source, prevHash };
      prevHash = linkHash(edited);
      await db.prisma.auditEvent.update({ where: { id: r.id }, data: { source: edited.source, prevHash: edited.prevHash, hash: prevHash } });
    }
    await db.prisma.auditChainHead.update({ where: { id: 1 }, data: { hash: prevHash } });
    const v = await service.verify();
    expect(v).toMatchObject({ ok: false, checked: 4, checkpoint: { ok: false, reason: 'hash-mismatch' } });
    expect(v.firstBrokenLink).toBeUndefined();
    expect(await service.checkpoint()).toBeUndefined();
    expect(readdirSync(dir)).toHaveLength(1);

    // Restore, then break one link: verify() names it.
    for (const o of original) await db.prisma.auditEvent.update({ where: { id: o.id }, data: { source: o.source, prevHash: o.prevHash, hash: o.hash } });
    await db.prisma.auditChainHead.update({ where: { id: 1 }, data: { hash: head.hash } });
    expect((await service.verify()).ok).toBe(true);
    await db.prisma.auditEvent.update({ where: { id: rows[1].id }, data: { subject: '1.2.999' } });
    expect((await service.verify()).firstBrokenLink).toMatchObject({ eventId: rows[1].eventId, reason: 'edited' });
  });
});
