// Verifies the audit hash chain of the store that configuration selects (DATABASE_URL, else PGlite in
// ${DATA_DIR}/db; stop an embedded service first: PGlite is single-process), optionally against a
// checkpoint file, and prints the verdict as JSON. Exit 0 when intact, 1 when broken, 2 on usage errors.
//   npx nx run audit-data-access:audit-verify [--checkpoint=<file>] [--write-checkpoint=<dir>]
import { readFileSync } from 'node:fs';
import { createPrismaClient } from '../src/db/prisma-client.factory';
import { parseCheckpoint, verifyAgainstCheckpoint, writeCheckpoint } from '../src/chain/chain.checkpoint';
import { verifyChain } from '../src/chain/chain.verifier';

function option(name: string): string | undefined {
  return process.argv
    .slice(2)
    .find((a) => a.startsWith(`--${name}=`))
    ?.slice(name.length + 3);
}

async function main(): Promise<number> {
  const unknown = process.argv.slice(2).filter((a) => !/^--(checkpoint|write-checkpoint)=.+/.test(a));
  if (unknown.length > 0) {
    console.error('usage: verify-chain.ts [--checkpoint=<file>] [--write-checkpoint=<dir>]');
    return 2;
  }
  const checkpointFile = option('checkpoint');
  const checkpoint = checkpointFile ? parseCheckpoint(readFileSync(checkpointFile, 'utf8')) : undefined;
  const db = await createPrismaClient(process.env);
  try {
    const chain = await verifyChain(db.prisma);
    const against = checkpoint ? await verifyAgainstCheckpoint(db.prisma, checkpoint) : undefined;
    const outDir = option('write-checkpoint');
    const written = chain.ok && (against?.ok ?? true) && outDir ? await writeCheckpoint(db.prisma, outDir) : undefined;
    const ok = chain.ok && (against?.ok ?? true);
    console.log(JSON.stringify({ database: db.description, ok, chain, ...(against ? { checkpoint: against } : {}), ...(written ? { written } : {}) }, null, 2));
    return ok ? 0 : 1;
  } finally {
    await db.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`audit-verify failed: ${err.message}`);
    process.exit(2);
  },
);
