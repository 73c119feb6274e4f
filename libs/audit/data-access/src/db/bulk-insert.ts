import type { Prisma } from '../generated/prisma/client';

type Tx = Prisma.TransactionClient;

/** The PostgreSQL type a value is sent as (every parameter is cast, so text parameters never guess). */
export type SqlType = 'text' | 'uuid' | 'int' | 'bigint' | 'float8' | 'bool' | 'timestamptz' | 'jsonb' | 'text[]';

/** One column of a bulk insert: its name, type and how to read it from a row. */
export type Column<R> = readonly [name: string, type: SqlType, value: (row: R) => unknown];

/** Stays well under PostgreSQL's 65,535 bind parameters per statement. */
const MAX_PARAMS = 30_000;

/** A text[] literal: `{"a","b"}` with `"` and `\` escaped, so the array goes as one text parameter. */
export function textArrayLiteral(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`).join(',')}}`;
}

/** The value as sent: every parameter is text or a number/boolean, cast to its column type in the SQL. */
function wire(type: SqlType, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  switch (type) {
    case 'jsonb':
      return JSON.stringify(v);
    case 'text[]':
      return textArrayLiteral(v as string[]);
    case 'timestamptz':
      // An ISO string, not a Date: the instant never depends on the session or the driver's time zone.
      return (v as Date).toISOString();
    case 'bigint':
      return String(v);
    case 'text':
    case 'uuid':
    case 'int':
    case 'float8':
    case 'bool':
      return v;
  }
}

interface Statement {
  text: string;
  values: unknown[];
}

/** Placeholders and values built directly: table and column names are constants of this library, never input. */
function statements<R>(table: string, columns: ReadonlyArray<Column<R>>, rows: readonly R[], suffix: string): Statement[] {
  const perStatement = Math.max(1, Math.floor(MAX_PARAMS / columns.length));
  const names = columns.map(([name]) => `"${name}"`).join(', ');
  const out: Statement[] = [];
  for (let i = 0; i < rows.length; i += perStatement) {
    const values: unknown[] = [];
    const tuples: string[] = [];
    for (const r of rows.slice(i, i + perStatement)) {
      const slots: string[] = [];
      for (const [, type, value] of columns) {
        values.push(wire(type, value(r)));
        slots.push(`$${values.length}::${type}`);
      }
      tuples.push(`(${slots.join(',')})`);
    }
    out.push({ text: `INSERT INTO "${table}" (${names}) VALUES ${tuples.join(',')} ${suffix}`, values });
  }
  return out;
}

/**
 * One multi-row INSERT per table (split only past 30,000 parameters): what keeps a batch of events to
 * a handful of round trips. Prisma's createMany costs far more per row through a driver adapter.
 */
export async function insertMany<R>(tx: Tx, table: string, columns: ReadonlyArray<Column<R>>, rows: readonly R[], suffix = ''): Promise<void> {
  for (const s of statements(table, columns, rows, suffix)) await tx.$executeRawUnsafe(s.text, ...s.values);
}

/** insertMany with a RETURNING clause; the returned rows of every statement, in order. */
export async function insertManyReturning<R, T>(tx: Tx, table: string, columns: ReadonlyArray<Column<R>>, rows: readonly R[], returning: string): Promise<T[]> {
  const out: T[] = [];
  for (const s of statements(table, columns, rows, `RETURNING ${returning}`)) out.push(...(await tx.$queryRawUnsafe<T[]>(s.text, ...s.values)));
  return out;
}
