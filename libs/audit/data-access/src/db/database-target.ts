import { resolve } from 'node:path';

/** Where the audit store lives: a PostgreSQL server, or an embedded PGlite database. */
export type DatabaseTarget =
  | { kind: 'postgres'; url: string }
  /** dataDir is a directory path, or `memory://` for a throw-away in-memory database (tests). */
  | { kind: 'pglite'; dataDir: string };

export interface DatabaseSettings {
  /** postgresql://... selects PostgreSQL; empty or absent selects embedded PGlite. */
  DATABASE_URL?: string;
  /** Data directory of the process; PGlite lives in `${DATA_DIR}/db`. Defaults to `var`. */
  DATA_DIR?: string;
}

export const PGLITE_MEMORY = 'memory://';

/** Chooses the database from configuration (the same rule for the CLI and the running service). */
export function resolveDatabaseTarget(settings: DatabaseSettings): DatabaseTarget {
  const url = settings.DATABASE_URL?.trim();
  if (url) {
    if (!/^postgres(ql)?:\/\//.test(url)) {
      throw new Error('DATABASE_URL must be a postgresql:// URL (leave it empty for the embedded PGlite database)');
    }
    return { kind: 'postgres', url };
  }
  return { kind: 'pglite', dataDir: resolve(settings.DATA_DIR?.trim() || 'var', 'db') };
}

/** A description of the target safe for logs (no credentials). */
export function describeDatabaseTarget(target: DatabaseTarget): string {
  if (target.kind === 'pglite') return `pglite:${target.dataDir}`;
  try {
    const u = new URL(target.url);
    return `postgresql://${u.hostname}${u.port ? `:${u.port}` : ''}${u.pathname}`;
  } catch {
    return 'postgresql://(unparseable url)';
  }
}
