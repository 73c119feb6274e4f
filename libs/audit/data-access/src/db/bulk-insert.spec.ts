import { insertMany, insertManyReturning, textArrayLiteral, type Column } from './bulk-insert';
import { PGLITE_MEMORY } from './database-target';
import { createPrismaClient, type AuditDatabase } from './prisma-client.factory';
import { prismaTransaction } from './sql-transaction';

interface Row {
  id: string | null;
  name: string | null;
  n: number | null;
  big: bigint | null;
  f: number | null;
  ok: boolean | null;
  at: Date | null;
  doc: unknown;
  tags: string[] | null;
}

const COLUMNS: Array<Column<Row>> = [
  ['id', 'uuid', (r) => r.id],
  ['name', 'text', (r) => r.name],
  ['n', 'int', (r) => r.n],
  ['big', 'bigint', (r) => r.big],
  ['f', 'float8', (r) => r.f],
  ['ok', 'bool', (r) => r.ok],
  ['at', 'timestamptz', (r) => r.at],
  ['doc', 'jsonb', (r) => r.doc],
  ['tags', 'text[]', (r) => r.tags],
];

describe('insertMany (one array parameter per column, unnest; PGlite in memory)', () => {
  let db: AuditDatabase;

  beforeAll(async () => {
    db = await createPrismaClient({ kind: 'pglite', dataDir: PGLITE_MEMORY });
    await db.prisma.$executeRawUnsafe(
      'CREATE TABLE bulk_probe (k serial PRIMARY KEY, id uuid, name text, n int, big bigint, f float8, ok bool, at timestamptz, doc jsonb, tags text[])',
    );
  }, 60_000);

  afterAll(async () => {
    await db?.close();
  });

  it('writes every type, NULLs, quotes, backslashes, braces and commas exactly as given', async () => {
    const rows: Row[] = [
      {
        id: '0b7f9a52-3c1e-4d2a-9f10-6a4e2b1c8d77',
        name: 'a "quoted", {braced} \\ back\\slash, NULL',
        n: -7,
        big: 9_007_199_254_740_993n,
        f: 0.1 + 0.2,
        ok: true,
        at: new Date('2026-01-02T03:04:05.678Z'),
        doc: { s: 'x"y\\z', a: [1, null, { b: 'é' }] },
        tags: ['CT', 'a"b', 'c,d', 'NULL', ''],
      },
      { id: null, name: 'NULL', n: null, big: null, f: null, ok: false, at: null, doc: null, tags: null },
      { id: null, name: '', n: 0, big: 0n, f: 1e-300, ok: null, at: null, doc: [], tags: [] },
    ];
    await prismaTransaction(db.prisma)((q) => insertMany(q, 'bulk_probe', COLUMNS, rows));
    const back = await db.prisma.$queryRawUnsafe<Array<Record<string, unknown>>>(
      'SELECT id::text AS id, name, n, big::text AS big, f, ok, at, doc, tags FROM bulk_probe ORDER BY k',
    );
    expect(back).toEqual([
      { ...rows[0], big: '9007199254740993' },
      { ...rows[1], big: null },
      { ...rows[2], big: '0' },
    ]);
  });

  it('returns the requested columns of every inserted row and writes nothing for no rows', async () => {
    const rows: Row[] = [1, 2, 3].map((n) => ({ id: null, name: `r${n}`, n, big: null, f: null, ok: null, at: null, doc: null, tags: null }));
    const returned = await prismaTransaction(db.prisma)((q) => insertManyReturning<Row, { name: string; n: number }>(q, 'bulk_probe', COLUMNS, rows, 'name, n'));
    expect(returned.sort((a, b) => a.n - b.n)).toEqual([
      { name: 'r1', n: 1 },
      { name: 'r2', n: 2 },
      { name: 'r3', n: 3 },
    ]);
    await expect(prismaTransaction(db.prisma)((q) => insertManyReturning(q, 'bulk_probe', COLUMNS, [], 'k'))).resolves.toEqual([]);
  });

  it('spells array literals with escapes and unquoted NULLs', () => {
    expect(textArrayLiteral(['a"b', 'c\\d', null, 'NULL', ''])).toBe('{"a\\"b","c\\\\d",NULL,"NULL",""}');
  });
});
