// Retention purge of the store that configuration selects (DATABASE_URL, else PGlite in ${DATA_DIR}/db;
// stop an embedded service first): clears PHI columns of stage rows older than the retention period,
// keeps every audit_event row (the chain still verifies) and the de-identified quality record.
//   npx nx run audit-data-access:audit-purge [--days=<n>]     (default AUDIT_RETENTION_DAYS)
// Prints the counts as JSON. Exit 0 done, 1 failed, 2 usage (no period: nothing to purge).
import { retentionCutoff, retentionPolicy } from '@triage/audit-domain';
import { createPrismaClient } from '../src/db/prisma-client.factory';
import { RetentionRepository } from '../src/retention.repository';

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const days = args.find((a) => /^--days=\d+$/.test(a))?.slice('--days='.length);
  if (args.some((a) => !/^--days=\d+$/.test(a))) {
    console.error('usage: purge.ts [--days=<whole number>]');
    return 2;
  }
  const policy = retentionPolicy({ ...process.env, ...(days ? { AUDIT_RETENTION_DAYS: days } : {}) });
  const cutoff = retentionCutoff(policy, new Date());
  if (!cutoff) {
    console.error('no retention period: set AUDIT_RETENTION_DAYS or pass --days=<n> (at least 1)');
    return 2;
  }
  const db = await createPrismaClient(process.env);
  try {
    const result = await new RetentionRepository(db.prisma).purge(cutoff);
    console.log(JSON.stringify({ database: db.description, days: policy.days, ...result }, null, 2));
    return 0;
  } finally {
    await db.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`audit-purge failed: ${err.message}`);
    process.exit(1);
  },
);
