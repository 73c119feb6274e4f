import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EVENTS } from '@triage/contracts';
import { AuditRepository } from '../audit.repository';
import { PGLITE_MEMORY } from '../db/database-target';
import { createPrismaClient, type AuditDatabase } from '../db/prisma-client.factory';
import { buildThinFlowEnvelopes } from '../thin-flow.fixture';
import { parseCheckpoint, verifyAgainstCheckpoint, writeCheckpoint } from './chain.checkpoint';
import { verifyChain } from './chain.verifier';
import {
  appendFlows,
  checkAfterTampering,
  deleteRow,
  editRow,
  insertForgedAfter,
  linkOf,
  rewriteChainFrom,
  swapRows,
  verifyAfterTampering,
} from './chain-tamper.fixture';
import { envelopeSha256, GENESIS_HASH, linkHash } from './hash-chain';

describe('audit hash chain (PGlite in memory, real migrations)', () => {
  let db: AuditDatabase;
  let repo: AuditRepository;
  let ids: string[];
  let dir: string;

  beforeAll(async () => {
    db = await createPrismaClient({ kind: 'pglite', dataDir: PGLITE_MEMORY }, { applyMigrations: true });
    repo = new AuditRepository(db.prisma);
    ids = await appendFlows(repo, 3);
    dir = mkdtempSync(join(tmpdir(), 'audit-checkpoint-'));
  }, 60_000);

  afterAll(async () => {
    await db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('links every recorded event to the previous one, in one total order, from the genesis hash', async () => {
    const rows = await db.prisma.auditEvent.findMany({ orderBy: { chainSeq: 'asc' } });
    expect(rows.map((r) => r.chainSeq)).toEqual(rows.map((_, i) => BigInt(i + 1)));
    expect(rows[0].prevHash).toBe(GENESIS_HASH);
    for (const [i, r] of rows.entries()) {
      expect(r.hash).toMatch(/^[0-9a-f]{64}$/);
      expect(r.hash).toBe(linkHash(r));
      if (i > 0) expect(r.prevHash).toBe(rows[i - 1].hash);
    }
    const head = await db.prisma.auditChainHead.findUniqueOrThrow({ where: { id: 1 } });
    expect(head).toEqual({ id: 1, seq: BigInt(rows.length), hash: rows[rows.length - 1].hash });
    expect(await verifyChain(db.prisma)).toEqual({
      ok: true,
      checked: rows.length,
      head: { id: rows[rows.length - 1].id.toString(), chainSeq: String(rows.length), hash: head.hash },
    });
  });

  it('stores the sha256 of the canonical envelope, whatever its key order', async () => {
    const flow = buildThinFlowEnvelopes();
    const reversed = Object.fromEntries(Object.entries(flow.priority).reverse()) as typeof flow.priority;
    expect(envelopeSha256(reversed)).toBe(envelopeSha256(flow.priority));
    await repo.record(reversed, EVENTS.priorityDecided.topic);
    const row = await db.prisma.auditEvent.findUniqueOrThrow({ where: { eventId: flow.priority.eventId } });
    expect(row.envelopeSha256).toBe(envelopeSha256(flow.priority));
    const changed = { ...flow.priority, payload: { ...flow.priority.payload, score: 0.1 } };
    expect(envelopeSha256(changed)).not.toBe(row.envelopeSha256);
  });

  it('adds no link for a redelivered event', async () => {
    const before = await db.prisma.auditChainHead.findUniqueOrThrow({ where: { id: 1 } });
    const flow = buildThinFlowEnvelopes();
    expect(await repo.record(flow.report, EVENTS.reportIssued.topic)).toEqual({ duplicate: false });
    expect(await repo.record(flow.report, EVENTS.reportIssued.topic)).toEqual({ duplicate: true });
    const after = await db.prisma.auditChainHead.findUniqueOrThrow({ where: { id: 1 } });
    expect(after.seq).toBe(before.seq + 1n);
    expect((await linkOf(db.prisma, flow.report.eventId)).chainSeq).toBe(after.seq);
    expect((await verifyChain(db.prisma)).ok).toBe(true);
  });

  it('keeps one linear chain under concurrent record() calls', async () => {
    const before = await db.prisma.auditChainHead.findUniqueOrThrow({ where: { id: 1 } });
    const flows = Array.from({ length: 12 }, () => buildThinFlowEnvelopes());
    await Promise.all(flows.flatMap((f) => [repo.record(f.received, EVENTS.studyReceived.topic), repo.record(f.report, EVENTS.reportIssued.topic)]));
    const v = await verifyChain(db.prisma);
    expect(v.ok).toBe(true);
    expect(BigInt(v.head!.chainSeq)).toBe(before.seq + 24n);
  });

  it('names an edited row', async () => {
    const target = ids[5];
    const v = await verifyAfterTampering(db.prisma, (tx) => editRow(tx, target));
    expect(v.ok).toBe(false);
    expect(v.firstBrokenLink).toMatchObject({ eventId: target, reason: 'edited', chainSeq: '6' });
    expect(v.checked).toBe(5);
  });

  it('names the row after a deleted one', async () => {
    const v = await verifyAfterTampering(db.prisma, (tx) => deleteRow(tx, ids[4]));
    expect(v.firstBrokenLink).toMatchObject({ eventId: ids[5], reason: 'deleted', chainSeq: '6' });
    expect(v.firstBrokenLink!.detail).toContain('seq 5 is missing');
  });

  it('names two reordered rows', async () => {
    const v = await verifyAfterTampering(db.prisma, (tx) => swapRows(tx, ids[2], ids[3]));
    expect(v.firstBrokenLink).toMatchObject({ eventId: ids[3], reason: 'reordered', chainSeq: '3' });
  });

  it('names a forged row inserted with a correct hash', async () => {
    let forged = '';
    const v = await verifyAfterTampering(db.prisma, async (tx) => {
      forged = await insertForgedAfter(tx, ids[6]);
    });
    expect(v.firstBrokenLink).toMatchObject({ eventId: forged, reason: 'inserted', chainSeq: '8' });
  });

  it('names a row rewritten and re-hashed alone, and rows cut off the end', async () => {
    const rehashed = await verifyAfterTampering(db.prisma, async (tx) => {
      await editRow(tx, ids[1]);
      const row = await tx.auditEvent.findUniqueOrThrow({ where: { eventId: ids[1] } });
      await tx.auditEvent.update({ where: { id: row.id }, data: { hash: linkHash(row) } });
    });
    expect(rehashed.firstBrokenLink).toMatchObject({ eventId: ids[1], reason: 'edited' });
    const truncated = await verifyAfterTampering(db.prisma, async (tx) => {
      const last = await tx.auditEvent.findFirstOrThrow({ orderBy: { chainSeq: 'desc' } });
      await deleteRow(tx, last.eventId);
    });
    expect(truncated.firstBrokenLink).toMatchObject({ reason: 'deleted' });
  });

  it('writes a checkpoint file, and the checkpoint catches a rewrite of the whole chain that verifies', async () => {
    const cp = await writeCheckpoint(db.prisma, dir, new Date('2026-11-22T08:00:00.000Z'));
    const onDisk = parseCheckpoint(readFileSync(cp.file, 'utf8'));
    const head = await db.prisma.auditChainHead.findUniqueOrThrow({ where: { id: 1 } });
    expect(onDisk).toEqual({ lastId: cp.lastId, lastHash: head.hash, count: Number(head.seq), at: '2026-11-22T08:00:00.000Z' });
    expect(await verifyAgainstCheckpoint(db.prisma, onDisk)).toEqual({ ok: true });

    const after = await checkAfterTampering(
      db.prisma,
      (tx) => rewriteChainFrom(tx, ids[2]),
      async (tx) => ({ chain: await verifyChain(tx), checkpoint: await verifyAgainstCheckpoint(tx, onDisk) }),
    );
    expect(after.chain.ok).toBe(true);
    expect(after.checkpoint).toMatchObject({ ok: false, reason: 'hash-mismatch' });

    // Appending after the checkpoint keeps it valid: it vouches for the prefix only.
    await appendFlows(repo, 1);
    expect(await verifyAgainstCheckpoint(db.prisma, onDisk)).toEqual({ ok: true });
  });

  it('refuses to checkpoint a broken chain, and to read a file that is not a checkpoint', async () => {
    const err = await checkAfterTampering(
      db.prisma,
      (tx) => editRow(tx, ids[0]),
      (tx) => writeCheckpoint(tx, dir).then(() => null, (e: Error) => e.message),
    );
    expect(err).toMatch(/broken at id \d+ \(edited\)/);
    expect(() => parseCheckpoint('{"lastId":"x","lastHash":"00"}')).toThrow(/not an audit checkpoint/);
  });
});
