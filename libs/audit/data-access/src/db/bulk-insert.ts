import type { SqlQuery } from './sql-transaction';

/** The PostgreSQL type a value is sent as (every parameter is cast, so text parameters never guess). */
export type SqlType = 'text' | 'uuid' | 'int' | 'bigint' | 'float8' | 'bool' | 'timestamptz' | 'jsonb' | 'text[]';

/** One column of a bulk insert: its name, type and how to read it from a row. */
export type Column<R> = readonly [name: string, type: SqlType, value: (row: R) => unknown];

/** An element of a PostgreSQL array literal: `"…"` with `"` and `\` escaped, or an unquoted NULL. */
const NEEDS_ESCAPE = /[\\"]/;
function element(v: string | null): string {
  if (v === null) return 'NULL';
  return NEEDS_ESCAPE.test(v) ? `"${v.replace(/[\\"]/g, '\\$&')}"` : `"${v}"`;
}

/** A text[] literal: `{"a","b"}` with `"` and `\` escaped, so the array goes as one text parameter. */
export function textArrayLiteral(values: ReadonlyArray<string | null>): string {
  return `{${values.map(element).join(',')}}`;
}

/** A value in its PostgreSQL text form (null for SQL NULL): what the array literal of its column carries. */
function text(type: SqlType, v: unknown): string | null {
  if (v === null || v === undefined) return null;
  switch (type) {
    case 'jsonb':
      return JSON.stringify(v);
    case 'text[]':
      return textArrayLiteral(v as string[]);
    case 'timestamptz':
      // An ISO string, not a Date: the instant never depends on the session or the driver's time zone.
      return (v as Date).toISOString();
    case 'text':
    case 'uuid':
      return v as string;
    case 'int':
    case 'bigint':
    case 'float8':
    case 'bool':
      // String(number) is the shortest text that reads back as the same double.
      return String(v);
  }
}

/** Array parameters carry one column each; text[] and jsonb cells travel as text and are cast per row. */
const ARRAY_TYPE: Record<SqlType, string> = {
  text: 'text[]',
  uuid: 'uuid[]',
  int: 'int[]',
  bigint: 'bigint[]',
  float8: 'float8[]',
  bool: 'bool[]',
  timestamptz: 'timestamptz[]',
  jsonb: 'text[]',
  'text[]': 'text[]',
};

/** A statement and its parameters. */
export interface Statement {
  text: string;
  values: string[];
}

/**
 * One INSERT for any number of rows: each column goes as one array parameter and `unnest` turns the
 * arrays back into rows, so a batch costs as many bind parameters as the table has columns (not rows x
 * columns), and PostgreSQL parses one short statement. Table and column names are constants of this
 * library, never input.
 */
export function insertStatement<R>(table: string, columns: ReadonlyArray<Column<R>>, rows: readonly R[], suffix = ''): Statement {
  const names = columns.map(([name]) => `"${name}"`).join(', ');
  const cells = columns.map(() => [] as Array<string | null>);
  for (const r of rows) columns.forEach(([, type, value], c) => cells[c].push(text(type, value(r))));
  const params = columns.map(([, type], c) => `$${c + 1}::${ARRAY_TYPE[type]}`).join(', ');
  const aliases = columns.map((_, c) => `c${c}`);
  const select = columns.map(([, type], c) => (type === 'jsonb' || type === 'text[]' ? `${aliases[c]}::${type}` : aliases[c])).join(', ');
  return {
    text: `INSERT INTO "${table}" (${names}) SELECT ${select} FROM unnest(${params}) AS u(${aliases.join(', ')}) ${suffix}`,
    values: cells.map(textArrayLiteral),
  };
}

/**
 * One INSERT per table per batch (see insertStatement): what keeps a batch of events to a handful of
 * round trips. Prisma's createMany costs far more per row through a driver adapter.
 */
export async function insertMany<R>(q: SqlQuery, table: string, columns: ReadonlyArray<Column<R>>, rows: readonly R[], suffix = ''): Promise<void> {
  if (rows.length === 0) return;
  const s = insertStatement(table, columns, rows, suffix);
  await q(s.text, s.values);
}

/** insertMany with a RETURNING clause; the returned rows (matched by key, not by order). */
export async function insertManyReturning<R, T>(q: SqlQuery, table: string, columns: ReadonlyArray<Column<R>>, rows: readonly R[], returning: string): Promise<T[]> {
  if (rows.length === 0) return [];
  const s = insertStatement(table, columns, rows, `RETURNING ${returning}`);
  return (await q(s.text, s.values)) as T[];
}
