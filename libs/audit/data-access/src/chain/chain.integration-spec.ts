import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { EVENTS } from '@triage/contracts';
import pg from 'pg';
import { AuditRepository } from '../audit.repository';
import { readMigrations } from '../db/migration.runner';
import { createPrismaClient, type AuditDatabase } from '../db/prisma-client.factory';
import { buildThinFlowEnvelopes } from '../thin-flow.fixture';
import { verifyAgainstCheckpoint, writeCheckpoint } from './chain.checkpoint';
import { verifyChain } from './chain.verifier';
import {
  appendFlows,
  checkAfterTampering,
  deleteRow,
  editRow,
  insertForgedAfter,
  linkFieldsOfRow,
  rewriteChainFrom,
  swapRows,
  verifyAfterTampering,
  type AuditEventSqlRow,
} from './chain-tamper.fixture';
import { GENESIS_HASH, linkHash } from './hash-chain';

const ROOT = resolve(__dirname, '..', '..', '..', '..', '..');
const DATABASE_URL = process.env.DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/triage_test';

/** The hash chain on the real PostgreSQL (migrated by db-migrate before this tier). */
describe('audit hash chain on the real PostgreSQL', () => {
  let db: AuditDatabase;
  let repo: AuditRepository;
  let ids: string[];
  let dir: string;

  beforeAll(async () => {
    db = await createPrismaClient({ DATABASE_URL });
    repo = AuditRepository.of(db);
    ids = await appendFlows(repo, 2);
    dir = mkdtempSync(join(tmpdir(), 'audit-checkpoint-'));
  }, 60_000);

  afterAll(async () => {
    await db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps one linear chain when many record() calls race on separate connections', async () => {
    const flows = Array.from({ length: 20 }, () => buildThinFlowEnvelopes());
    const results = await Promise.all(
      flows.flatMap((f) => [
        repo.record(f.received, EVENTS.studyReceived.topic),
        repo.record(f.inference, EVENTS.inferenceCompleted.topic),
        repo.record(f.inference, EVENTS.inferenceCompleted.topic), // a redelivery in the race adds no link
      ]),
    );
    expect(results.filter((r) => !r.duplicate)).toHaveLength(40);
    const v = await verifyChain(db.prisma);
    expect(v).toMatchObject({ ok: true });
    const seqs = await db.prisma.auditEvent.findMany({ select: { chainSeq: true }, orderBy: { chainSeq: 'asc' } });
    expect(seqs.map((s) => s.chainSeq)).toEqual(seqs.map((_, i) => BigInt(i + 1)));
    expect(v.checked).toBe(seqs.length);
  }, 60_000);

  it('catches an edited row, a deleted row, two reordered rows and a forged insert, and names each', async () => {
    const seqOf = async (eventId: string) => (await db.prisma.auditEvent.findUniqueOrThrow({ where: { eventId } })).chainSeq.toString();
    expect((await verifyAfterTampering(db.prisma, (tx) => editRow(tx, ids[1]))).firstBrokenLink).toMatchObject({
      eventId: ids[1],
      reason: 'edited',
      chainSeq: await seqOf(ids[1]),
    });
    expect((await verifyAfterTampering(db.prisma, (tx) => deleteRow(tx, ids[2]))).firstBrokenLink).toMatchObject({ eventId: ids[3], reason: 'deleted' });
    expect((await verifyAfterTampering(db.prisma, (tx) => swapRows(tx, ids[4], ids[5]))).firstBrokenLink).toMatchObject({
      eventId: ids[5],
      reason: 'reordered',
      chainSeq: await seqOf(ids[4]),
    });
    let forged = '';
    const v = await verifyAfterTampering(db.prisma, async (tx) => {
      forged = await insertForgedAfter(tx, ids[6]);
    });
    expect(v.firstBrokenLink).toMatchObject({ eventId: forged, reason: 'inserted' });
    // Every tampering was rolled back.
    expect((await verifyChain(db.prisma)).ok).toBe(true);
  }, 60_000);

  it('a checkpoint catches a superuser rewrite of the chain that verifies on its own', async () => {
    const cp = await writeCheckpoint(db.prisma, dir);
    expect(await verifyAgainstCheckpoint(db.prisma, cp)).toEqual({ ok: true });
    const after = await checkAfterTampering(
      db.prisma,
      (tx) => rewriteChainFrom(tx, ids[0]),
      async (tx) => ({ chain: await verifyChain(tx), checkpoint: await verifyAgainstCheckpoint(tx, cp) }),
    );
    expect(after.chain.ok).toBe(true);
    expect(after.checkpoint).toMatchObject({ ok: false, reason: 'hash-mismatch' });
  }, 60_000);

  it('the hash_chain migration backfills rows written under the first migration (scratch schema)', async () => {
    const schema = `h7_backfill_${randomUUID().replace(/-/g, '')}`;
    const sql = new pg.Client({ connectionString: DATABASE_URL });
    await sql.connect();
    try {
      const [first, chain] = readMigrations();
      await sql.query(`CREATE SCHEMA "${schema}"`);
      await sql.query(`SET search_path TO "${schema}"`);
      await sql.query(first.sql);
      for (const subject of ['1.2.3', 'sübject-ü']) {
        await sql.query(
          `INSERT INTO audit_event (event_id, topic, type, schema_version, source, trace_id, subject, occurred_at)
           VALUES ($1, 'triage.study.received.v1', 'study.received', 1, 'ingest', $2, $3, now())`,
          [randomUUID(), 'b'.repeat(32), subject],
        );
      }
      // As @prisma/adapter-pg runs a migration script: statement by statement, split at semicolons.
      for (const stmt of chain.sql.split(';').filter((s) => s.trim())) await sql.query(stmt);
      const rows = (await sql.query('SELECT * FROM audit_event ORDER BY chain_seq')).rows as AuditEventSqlRow[];
      let prev = GENESIS_HASH;
      for (const [i, r] of rows.entries()) {
        expect(Number(r.chain_seq)).toBe(i + 1);
        expect(r.prev_hash).toBe(prev);
        expect(r.envelope_sha256).toBeNull();
        expect(r.hash).toBe(linkHash(linkFieldsOfRow(r)));
        prev = r.hash;
      }
      const head = await sql.query('SELECT seq, hash FROM audit_chain_head');
      expect(head.rows).toEqual([{ seq: '2', hash: prev }]);
    } finally {
      await sql.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await sql.end();
    }
  });

  it('the audit-verify CLI exits 0 on an intact chain and 1 naming the broken link (and checks a checkpoint file)', async () => {
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, ['-r', '@swc-node/register', 'libs/audit/data-access/scripts/verify-chain.ts', ...args], {
        cwd: ROOT,
        env: { ...process.env, DATABASE_URL },
        encoding: 'utf8',
        timeout: 60_000,
      });
    const intact = cli(`--write-checkpoint=${dir}`);
    expect(intact.status).toBe(0);
    const out = JSON.parse(intact.stdout) as { ok: boolean; written: { file: string } };
    expect(out.ok).toBe(true);
    expect(cli(`--checkpoint=${out.written.file}`).status).toBe(0);

    const row = await db.prisma.auditEvent.findUniqueOrThrow({ where: { eventId: ids[2] } });
    await db.prisma.auditEvent.update({ where: { id: row.id }, data: { source: 'forged' } });
    try {
      const broken = cli();
      expect(broken.status).toBe(1);
      expect(JSON.parse(broken.stdout)).toMatchObject({ ok: false, chain: { firstBrokenLink: { eventId: ids[2], reason: 'edited' } } });
    } finally {
      await db.prisma.auditEvent.update({ where: { id: row.id }, data: { source: row.source } });
    }
    expect(cli('--bogus').status).toBe(2);
  }, 120_000);
});
