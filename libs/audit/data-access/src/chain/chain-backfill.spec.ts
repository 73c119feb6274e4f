import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { PGLITE_MEMORY } from '../db/database-target';
import { openPGlite } from '../db/driver-adapter.factory';
import { applyMigrationsToPGlite, MIGRATIONS_DIR, readMigrations } from '../db/migration.runner';
import { linkFieldsOfRow, type AuditEventSqlRow } from './chain-tamper.fixture';
import { GENESIS_HASH, linkHash } from './hash-chain';

type Row = AuditEventSqlRow & { id: string };

/** The hash_chain migration on a store that already holds rows from the first migration. */
describe('hash_chain migration backfill (PGlite)', () => {
  let db: PGlite;
  let firstOnly: string;

  beforeAll(async () => {
    const [first] = readMigrations();
    firstOnly = mkdtempSync(join(tmpdir(), 'audit-mig-'));
    cpSync(join(MIGRATIONS_DIR, first.name), join(firstOnly, first.name), { recursive: true });
    db = await openPGlite(PGLITE_MEMORY);
    await applyMigrationsToPGlite(db, firstOnly);
  }, 60_000);

  afterAll(async () => {
    await db?.close();
    rmSync(firstOnly, { recursive: true, force: true });
  });

  it('chains the existing rows in id order, byte-identical to the application hash, and seeds the head', async () => {
    // Non-ASCII text proves the SQL uses byte lengths as the application does.
    for (const [i, subject] of ['1.2.3', '1.2.3.4', 'sübject-ü'].entries()) {
      await db.query(
        `INSERT INTO audit_event (event_id, topic, type, schema_version, source, trace_id, subject, occurred_at, recorded_at)
         VALUES ($1, 'triage.study.received.v1', 'study.received', 1, 'ingest', $2, $3, $4, $5)`,
        [`0000000${i}-0000-4000-8000-00000000000${i}`, 'a'.repeat(32), subject, new Date(Date.UTC(2026, 0, 1, 0, 0, i, 7)).toISOString(), new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 120 + i)).toISOString()],
      );
    }
    const result = await applyMigrationsToPGlite(db, MIGRATIONS_DIR);
    expect(result.applied).toEqual(readMigrations().slice(1).map((m) => m.name));

    const rows = (await db.query<Row>('SELECT * FROM audit_event ORDER BY chain_seq')).rows;
    expect(rows.map((r) => Number(r.chain_seq))).toEqual([1, 2, 3]);
    let prev = GENESIS_HASH;
    for (const r of rows) {
      expect(r.prev_hash).toBe(prev);
      expect(r.envelope_sha256).toBeNull();
      expect(r.hash).toBe(linkHash(linkFieldsOfRow(r)));
      prev = r.hash;
    }
    const head = (await db.query<{ seq: string; hash: string }>('SELECT seq, hash FROM audit_chain_head')).rows;
    expect(head.map((h) => [Number(h.seq), h.hash])).toEqual([[3, prev]]);
  });
});
