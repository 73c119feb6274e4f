import { randomUUID } from 'node:crypto';
import { createPrismaClient, type AuditDatabase } from './prisma-client.factory';
import { pgTransaction } from './sql-transaction';

const DATABASE_URL = process.env.DATABASE_URL ?? '';

describe('pgTransaction on the real PostgreSQL', () => {
  let db: AuditDatabase;
  const table = `tx_probe_${randomUUID().replace(/-/g, '')}`;

  beforeAll(async () => {
    db = await createPrismaClient({ DATABASE_URL });
    await db.prisma.$executeRawUnsafe(`CREATE TABLE "${table}" (v text NOT NULL)`);
  }, 60_000);

  afterAll(async () => {
    await db?.prisma.$executeRawUnsafe(`DROP TABLE IF EXISTS "${table}"`);
    await db?.close();
  });

  const values = async () => (await db.prisma.$queryRawUnsafe<Array<{ v: string }>>(`SELECT v FROM "${table}" ORDER BY v`)).map((r) => r.v);

  it('commits what fn wrote and returns its result', async () => {
    const tx = pgTransaction(db.pool!);
    const rows = await tx((q) => q(`INSERT INTO "${table}" (v) VALUES ($1), ($2) RETURNING v`, ['a', 'b']));
    expect(rows).toEqual([{ v: 'a' }, { v: 'b' }]);
    expect(await values()).toEqual(['a', 'b']);
  });

  it('rolls everything back when fn throws, and the pool stays usable', async () => {
    const tx = pgTransaction(db.pool!);
    await expect(
      tx(async (q) => {
        await q(`INSERT INTO "${table}" (v) VALUES ($1)`, ['lost']);
        await q(`INSERT INTO "${table}" (v) VALUES ($1)`, [null]); // NOT NULL violation
      }),
    ).rejects.toThrow(/null value/);
    expect(await values()).toEqual(['a', 'b']);
    await tx((q) => q(`INSERT INTO "${table}" (v) VALUES ($1)`, ['c']));
    expect(await values()).toEqual(['a', 'b', 'c']);
    expect(db.pool!.idleCount).toBe(db.pool!.totalCount);
  });

  it('bounds each statement by the transaction timeout', async () => {
    const tx = pgTransaction(db.pool!);
    const timeout = await tx((q) => q('SHOW statement_timeout', []));
    expect(timeout).toEqual([{ statement_timeout: '30s' }]);
  });
});
