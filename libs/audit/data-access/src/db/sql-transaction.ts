import type pg from 'pg';
import type { PrismaClient } from '../generated/prisma/client';

/**
 * One SQL statement with positional parameters inside the current transaction; resolves to its rows
 * (none for a statement without RETURNING). bigint columns may come back as bigint or as decimal text.
 */
export type SqlQuery = (text: string, values: readonly unknown[]) => Promise<Array<Record<string, unknown>>>;

/** Runs fn in one transaction: committed when fn resolves, rolled back when it throws. */
export type SqlTransaction = <T>(fn: (q: SqlQuery) => Promise<T>) => Promise<T>;

/** The whole transaction may take this long at most (each statement, and the wait for the chain lock). */
const TRANSACTION_TIMEOUT_MS = 30_000;

/**
 * The write path's transactions on PostgreSQL: straight on a pg connection of the pool Prisma's adapter
 * uses. Prisma's raw queries pass every parameter through its query compiler, which for a batch's few
 * large array parameters costs more CPU than PostgreSQL spends inserting the rows; the schema and its
 * migrations stay Prisma's, and reads keep using the Prisma client.
 */
export function pgTransaction(pool: pg.Pool): SqlTransaction {
  return async (fn) => {
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      await client.query(`BEGIN; SET LOCAL statement_timeout = ${TRANSACTION_TIMEOUT_MS}; SET LOCAL lock_timeout = ${TRANSACTION_TIMEOUT_MS}`);
      try {
        const result = await fn(async (text, values) => (await client.query({ text, values: [...values] })).rows as Array<Record<string, unknown>>);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch((rollbackErr: unknown) => {
          // The connection is in an unknown state: destroy it rather than hand it back to the pool.
          broken = rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr));
        });
        throw err;
      }
    } finally {
      client.release(broken);
    }
  };
}

/** The same through Prisma's interactive transaction (PGlite, or a client without a pg pool). */
export function prismaTransaction(prisma: PrismaClient): SqlTransaction {
  return (fn) =>
    prisma.$transaction((tx) => fn((text, values) => tx.$queryRawUnsafe<Array<Record<string, unknown>>>(text, ...values)), {
      maxWait: 10_000,
      timeout: TRANSACTION_TIMEOUT_MS,
    });
}
