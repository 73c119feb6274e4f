import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import NodeModule from 'node:module';
import { dirname } from 'node:path';
import type { PGlite as PGliteType } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import { DriverAdapterError, type SqlDriverAdapter, type SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import type * as PGliteAdapterModule from 'pglite-prisma-adapter';
import type pg from 'pg';
import { PGLITE_MEMORY, type DatabaseTarget } from './database-target';
import { createAdapterPool } from './pg-pool.fix';

/** A Prisma driver adapter factory plus the handle that closes the driver underneath it. */
export interface DriverHandle {
  factory: SqlMigrationAwareDriverAdapterFactory;
  target: DatabaseTarget;
  /** The PGlite instance, when the target is embedded (the migration applier uses it directly). */
  pglite?: PGlite;
  /** The pg pool, when the target is PostgreSQL. */
  pool?: pg.Pool;
  close(): Promise<void>;
}

// PGlite's CommonJS build loads its WebAssembly runtime with dynamic import(), which Jest's module
// sandbox cannot run without --experimental-vm-modules (and Jest replaces module.createRequire). Node's
// own loader, reached through a real Module instance, loads PGlite and its adapter (so both see the same
// PGlite classes) outside the sandbox; in a plain Node process this is ordinary require().
const nodeRequire = nativeRequire(__filename);
const { PGlite } = nodeRequire('@electric-sql/pglite') as typeof import('@electric-sql/pglite');
const { PrismaPGlite } = nodeRequire('pglite-prisma-adapter') as typeof PGliteAdapterModule;
type PGlite = PGliteType;

function nativeRequire(from: string): (id: string) => unknown {
  const M = NodeModule as unknown as { new (id: string): NodeJS.Module; _nodeModulePaths(dir: string): string[] };
  const m = new M(from);
  m.filename = from;
  m.paths = M._nodeModulePaths(dirname(from));
  return (id) => m.require(id);
}

/**
 * For short-lived processes that cannot close the database (the Prisma CLI never disposes its adapter):
 * PGlite emulates PostgreSQL's SIGALRM timeouts with setTimeout and, on an existing data directory,
 * keeps re-arming one (about every 10 s), so the process would never exit. This unrefs those timers
 * only; nothing the CLI awaits depends on them.
 */
export function letPGliteTimersNotHoldProcess(): void {
  const g = globalThis as { setTimeout: typeof setTimeout; __auditPgliteTimersUnref?: boolean };
  if (g.__auditPgliteTimersUnref) return;
  g.__auditPgliteTimersUnref = true;
  const original = g.setTimeout;
  g.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
    const timer = original(...args);
    if (new Error().stack?.includes('__setitimer_js')) timer.unref();
    return timer;
  }) as typeof setTimeout;
}

/** Opens (creating when needed) the embedded database. */
export async function openPGlite(dataDir: string): Promise<PGlite> {
  if (dataDir !== PGLITE_MEMORY) mkdirSync(dataDir, { recursive: true });
  const db = new PGlite(dataDir);
  await db.waitReady;
  return db;
}

/**
 * pglite-prisma-adapter 0.6.1 does not await `exec()` in executeScript, so a failing migration script
 * would be reported as applied and its error lost. This wraps the adapter so the script is awaited.
 */
class AwaitingPGliteFactory implements SqlMigrationAwareDriverAdapterFactory {
  readonly provider = 'postgres' as const;
  readonly adapterName = 'pglite-prisma-adapter';
  private readonly inner: SqlMigrationAwareDriverAdapterFactory;

  constructor(private readonly db: PGlite) {
    // The adapter is typed against an older @prisma/driver-adapter-utils; the runtime contract is the same.
    this.inner = new PrismaPGlite(db) as unknown as SqlMigrationAwareDriverAdapterFactory;
  }

  async connect(): Promise<SqlDriverAdapter> {
    return this.withAwaitedScripts(await this.inner.connect(), this.db);
  }

  async connectToShadowDb(): Promise<SqlDriverAdapter> {
    const shadow = new PGlite(PGLITE_MEMORY);
    const adapter = await (new PrismaPGlite(shadow) as unknown as SqlMigrationAwareDriverAdapterFactory).connect();
    const wrapped = this.withAwaitedScripts(adapter, shadow);
    const dispose = wrapped.dispose.bind(wrapped);
    wrapped.dispose = async () => {
      await dispose();
      await shadow.close();
    };
    return wrapped;
  }

  private withAwaitedScripts(adapter: SqlDriverAdapter, db: PGlite): SqlDriverAdapter {
    adapter.executeScript = async (script: string) => {
      try {
        await db.exec(script);
      } catch (err) {
        throw toDriverAdapterError(err);
      }
    };
    // `migrate diff` replays migrations into the shadow database through executeRaw without arguments;
    // PGlite's query() is a prepared statement (one command only), so argument-less SQL goes through exec().
    const executeRaw = adapter.executeRaw.bind(adapter);
    adapter.executeRaw = async (query) => {
      if (query.args.length > 0) return executeRaw(query);
      try {
        const results = await db.exec(query.sql);
        return results.reduce((n, r) => n + (r.affectedRows ?? 0), 0);
      } catch (err) {
        throw toDriverAdapterError(err);
      }
    };
    return adapter;
  }
}

/**
 * @prisma/adapter-pg with the OID 19 fix on every connection, and a shadow database (for `migrate diff`)
 * that is really dropped: PrismaPg 6.19.3 drops it while its own pool still holds a session, which fails.
 */
class NameAsTextPgFactory implements SqlMigrationAwareDriverAdapterFactory {
  readonly provider = 'postgres' as const;
  readonly adapterName = '@prisma/adapter-pg';
  readonly pool: pg.Pool;
  private readonly inner: PrismaPg;

  constructor(private readonly url: string) {
    this.pool = createAdapterPool(url);
    this.inner = new PrismaPg(this.pool, { schema: new URL(url).searchParams.get('schema') ?? undefined });
  }

  connect(): Promise<SqlDriverAdapter> {
    return this.inner.connect();
  }

  async connectToShadowDb(): Promise<SqlDriverAdapter> {
    const database = `prisma_migrate_shadow_db_${randomUUID()}`;
    const admin = createAdapterPool(this.url, { max: 1 });
    await admin.query(`CREATE DATABASE "${database}"`);
    const shadowPool = createAdapterPool(this.url, { max: 2, database });
    const adapter = await new PrismaPg(shadowPool, { disposeExternalPool: true }).connect();
    const dispose = adapter.dispose.bind(adapter);
    adapter.dispose = async () => {
      try {
        await dispose(); // ends the shadow pool first, so the database has no sessions left
        await admin.query(`DROP DATABASE IF EXISTS "${database}"`);
      } finally {
        await admin.end();
      }
    };
    return adapter;
  }
}

/** Maps a PGlite DatabaseError as the adapter itself does, so Prisma reports the server's message. */
function toDriverAdapterError(err: unknown): unknown {
  const e = err as { code?: string; severity?: string; message?: string; detail?: string; column?: string; hint?: string };
  if (!(err instanceof Error) || typeof e.code !== 'string') return err;
  return new DriverAdapterError({
    kind: 'postgres',
    code: e.code,
    severity: e.severity ?? 'ERROR',
    message: err.message,
    detail: e.detail,
    column: e.column,
    hint: e.hint,
  });
}

/** The driver adapter factory for a target: @prisma/adapter-pg (with the OID 19 fix) or PGlite. */
export async function createDriverHandle(target: DatabaseTarget): Promise<DriverHandle> {
  if (target.kind === 'postgres') {
    const factory = new NameAsTextPgFactory(target.url);
    return {
      factory,
      target,
      pool: factory.pool,
      close: async () => {
        if (!factory.pool.ended) await factory.pool.end();
      },
    };
  }
  const db = await openPGlite(target.dataDir);
  return {
    factory: new AwaitingPGliteFactory(db),
    target,
    pglite: db,
    close: async () => {
      if (!db.closed) await db.close();
    },
  };
}
