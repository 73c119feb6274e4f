import type pg from 'pg';
import { PrismaClient } from '../generated/prisma/client';
import { describeDatabaseTarget, resolveDatabaseTarget, type DatabaseSettings, type DatabaseTarget } from './database-target';
import { createDriverHandle } from './driver-adapter.factory';
import { applyMigrationsToPGlite, MIGRATIONS_DIR, type MigrationResult } from './migration.runner';

/** An open audit store: the Prisma client and what it runs on. */
export interface AuditDatabase {
  prisma: PrismaClient;
  target: DatabaseTarget;
  /** The pg pool under Prisma's adapter, when the target is PostgreSQL (the write path uses it directly). */
  pool?: pg.Pool;
  /** Log-safe description (no credentials). */
  description: string;
  /** Round trip to the database (readiness check). */
  ping(): Promise<void>;
  /** Disconnects the client and closes the driver (pg pool or PGlite). Safe to call twice. */
  close(): Promise<void>;
}

export interface CreatePrismaClientOptions {
  /**
   * Apply pending migrations in-process before returning. Only for PGlite (tests, embedded first start);
   * PostgreSQL is migrated as a deployment step (`nx run audit-data-access:db-migrate`).
   */
  applyMigrations?: boolean;
  migrationsDir?: string;
  onMigrated?: (result: MigrationResult) => void;
}

/**
 * Opens the audit store chosen by configuration: PostgreSQL through @prisma/adapter-pg when DATABASE_URL
 * is set, else PGlite persisted in `${DATA_DIR}/db`. A DatabaseTarget may be given directly (tests use
 * `{ kind: 'pglite', dataDir: 'memory://' }`).
 */
export async function createPrismaClient(
  config: DatabaseSettings | DatabaseTarget,
  opts: CreatePrismaClientOptions = {},
): Promise<AuditDatabase> {
  const target = 'kind' in config ? config : resolveDatabaseTarget(config);
  const handle = await createDriverHandle(target);
  try {
    if (opts.applyMigrations) {
      if (!handle.pglite) throw new Error('in-process migrations are for PGlite only; run db-migrate against PostgreSQL');
      const result = await applyMigrationsToPGlite(handle.pglite, opts.migrationsDir ?? MIGRATIONS_DIR);
      opts.onMigrated?.(result);
    }
  } catch (err) {
    await handle.close();
    throw err;
  }
  const prisma = new PrismaClient({ adapter: handle.factory });
  let closed: Promise<void> | undefined;
  return {
    prisma,
    target,
    pool: handle.pool,
    description: describeDatabaseTarget(target),
    ping: async () => {
      await prisma.$queryRaw`SELECT 1`;
    },
    close: () =>
      (closed ??= (async () => {
        try {
          await prisma.$disconnect();
        } finally {
          await handle.close();
        }
      })()),
  };
}
