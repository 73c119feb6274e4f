import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';

/** The migrations of the audit store (the same set `prisma migrate deploy` applies). */
export const MIGRATIONS_DIR = resolve(__dirname, '..', '..', 'prisma', 'migrations');

export interface MigrationFile {
  name: string;
  sql: string;
  /** sha256 of the file, hex: what Prisma stores in _prisma_migrations.checksum. */
  checksum: string;
}

export interface MigrationResult {
  applied: string[];
  alreadyApplied: string[];
}

/** Prisma's own bookkeeping table, created exactly as the schema engine creates it. */
const PRISMA_MIGRATIONS_DDL = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

/** Reads `<dir>/<timestamp>_<name>/migration.sql` in name order (Prisma's order). */
export function readMigrations(dir: string = MIGRATIONS_DIR): MigrationFile[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(dir, d.name, 'migration.sql')))
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const bytes = readFileSync(join(dir, name, 'migration.sql'));
      return { name, sql: bytes.toString('utf8'), checksum: createHash('sha256').update(bytes).digest('hex') };
    });
}

interface MigrationRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

/**
 * Applies pending migrations to a PGlite database in-process, each in its own transaction, recording
 * them in `_prisma_migrations` as Prisma does, so `prisma migrate status` agrees afterwards. Used where
 * the CLI cannot reach the database: in-memory PGlite in tests, and the embedded mode's first start.
 * Refuses to run past a migration Prisma recorded as failed (like `migrate deploy`, error P3009).
 */
export async function applyMigrationsToPGlite(db: PGlite, dir: string = MIGRATIONS_DIR): Promise<MigrationResult> {
  await db.exec(PRISMA_MIGRATIONS_DDL);
  const rows = (await db.query<MigrationRow>('SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations"')).rows;
  const failed = rows.find((r) => r.finished_at === null && r.rolled_back_at === null);
  if (failed) {
    throw new Error(`migration ${failed.migration_name} failed earlier; resolve it with "prisma migrate resolve" before applying more`);
  }
  const done = new Set(rows.filter((r) => r.finished_at !== null && r.rolled_back_at === null).map((r) => r.migration_name));
  const result: MigrationResult = { applied: [], alreadyApplied: [] };
  for (const m of readMigrations(dir)) {
    if (done.has(m.name)) {
      result.alreadyApplied.push(m.name);
      continue;
    }
    await db.transaction(async (tx) => {
      const id = randomUUID();
      await tx.query('INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at) VALUES ($1, $2, $3, now())', [id, m.checksum, m.name]);
      await tx.exec(m.sql);
      await tx.query('UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1', [id]);
    });
    result.applied.push(m.name);
  }
  return result;
}
