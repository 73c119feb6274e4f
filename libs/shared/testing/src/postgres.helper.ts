import { Client } from 'pg';

const DEFAULT_URL = 'postgresql://postgres@127.0.0.1:5432/triage_test';

/** The test database: env DATABASE_URL or postgresql://postgres@127.0.0.1:5432/triage_test. */
export function testDatabaseUrl(env: NodeJS.ProcessEnv = process.env): string {
  return env.DATABASE_URL || DEFAULT_URL;
}

/** The URL with any password masked, for error messages. */
export function redactDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<unparseable database URL>';
  }
}

/** Throws a clear error when the database does not answer `select 1` within `timeoutMs`. */
export async function assertPostgresReachable(url: string = testDatabaseUrl(), timeoutMs = 5_000): Promise<void> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
  try {
    await client.connect();
    await client.query('select 1');
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new Error(`PostgreSQL is not reachable at ${redactDatabaseUrl(url)}; run the tests with \`npm test\`, which starts it (${why})`);
  } finally {
    await client.end().catch(() => undefined);
  }
}
