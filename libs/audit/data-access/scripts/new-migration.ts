// Writes the next migration: the SQL that takes the existing migrations to the current schema.prisma,
// into prisma/migrations/<UTC timestamp>_<name>/migration.sql (what `prisma migrate dev` would do, offline).
//   npx nx run audit-data-access:db-new-migration --name=add_something
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '..');
const arg = process.argv.slice(2).find((a) => a.startsWith('--name='))?.slice('--name='.length) ?? process.argv[2];
if (!arg || !/^[a-z0-9_]{1,60}$/.test(arg)) {
  console.error('usage: new-migration.ts --name=<snake_case_name> (a-z, 0-9, _)');
  process.exit(2);
}
const sql = execFileSync(
  join(process.cwd(), 'node_modules', '.bin', 'prisma'),
  [
    'migrate', 'diff',
    '--config', join(root, 'prisma.config.ts'),
    '--from-migrations', join(root, 'prisma', 'migrations'),
    '--to-schema-datamodel', join(root, 'prisma', 'schema.prisma'),
    '--script',
  ],
  { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
);
if (!/^\s*(CREATE|ALTER|DROP|--\s*(Create|Alter|Drop|Add|Rename))/im.test(sql) || /This is an empty migration/.test(sql)) {
  console.log('schema.prisma matches the migrations: nothing to write');
  process.exit(0);
}
const stamp = new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14);
const dir = join(root, 'prisma', 'migrations', `${stamp}_${arg}`);
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'migration.sql'), sql);
console.log(`wrote ${join(dir, 'migration.sql')}`);
