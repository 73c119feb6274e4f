import pg from 'pg';
import { parseIntoClientConfig } from 'pg-connection-string';

/**
 * Catalog types @prisma/adapter-pg 6.19.3 cannot map, all of which travel as plain text on the wire:
 * `name` (OID 19, identifiers) and `"char"` (OID 18, one-byte codes such as pg_class.relkind, which the
 * schema describer reads for `migrate diff`).
 */
const CATALOG_TEXT_OIDS = new Set([18, 19]);
const TEXT_OID = 25;

type Callback = (err: Error | null, result?: unknown) => void;

/**
 * Workaround for prisma/orm#27403: @prisma/adapter-pg cannot map OID 19 (`name`), which the schema
 * engine's catalog queries return, so `migrate deploy`/`status` fail with "Column type 'name' could
 * not be deserialized" (and `migrate diff` likewise on `"char"`). Their values are plain text on the
 * wire, so presenting the fields as OID 25 before the adapter maps them is exact.
 */
export function presentNameAsText(result: unknown): void {
  for (const r of Array.isArray(result) ? result : [result]) {
    const fields = (r as { fields?: Array<{ dataTypeID: number }> } | undefined)?.fields;
    if (!Array.isArray(fields)) continue;
    for (const f of fields) if (CATALOG_TEXT_OIDS.has(f.dataTypeID)) f.dataTypeID = TEXT_OID;
  }
}

const baseQuery = pg.Client.prototype.query as (...args: unknown[]) => unknown;

/** A pg Client whose results never carry OID 18/19 fields (see presentNameAsText). */
export class NameAsTextClient extends pg.Client {}

// Patched on the prototype: pg's query() has a dozen overloads that a TypeScript override cannot restate.
(NameAsTextClient.prototype as unknown as { query: (...args: unknown[]) => unknown }).query = function query(
  this: pg.Client,
  ...args: unknown[]
): unknown {
  const last = args.length - 1;
  if (typeof args[last] === 'function') {
    // pg-pool's Pool.query() calls client.query(text, values, callback).
    const cb = args[last] as Callback;
    args[last] = (err: Error | null, res?: unknown) => {
      if (!err) presentNameAsText(res);
      cb(err, res);
    };
    return baseQuery.apply(this, args);
  }
  const out = baseQuery.apply(this, args);
  if (out && typeof (out as Promise<unknown>).then === 'function') {
    return (out as Promise<unknown>).then((res) => {
      presentNameAsText(res);
      return res;
    });
  }
  return out;
};

/**
 * The pg Pool behind Prisma's adapter: catalog types presented as text (see presentNameAsText), session
 * time zone UTC, and idle connections that let a CLI process exit. The URL is parsed
 * into discrete settings because PrismaPg derives the shadow database's pool as `{ ...options, database }`,
 * and a `connectionString` would override that `database`, pointing `migrate diff` at the real one.
 */
export function createAdapterPool(connectionString: string, opts: { max?: number; database?: string } = {}): pg.Pool {
  const { connectionString: _ignored, ...settings } = parseIntoClientConfig(connectionString) as pg.ClientConfig & Record<string, unknown>;
  delete settings.schema;
  if (opts.database) settings.database = opts.database;
  // @prisma/adapter-pg reads timestamptz text as if it were UTC (it replaces the offset with +00:00), so
  // the session must be UTC whatever the server's or the URL's TimeZone; a later -c wins.
  settings.options = [settings.options, '-c TimeZone=UTC'].filter(Boolean).join(' ');
  // allowExitOnIdle: the Prisma CLI never ends its pool; idle connections must not hold the process open.
  return new pg.Pool({ ...settings, max: opts.max ?? 10, allowExitOnIdle: true, Client: NameAsTextClient });
}
