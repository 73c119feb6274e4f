// Prisma CLI configuration (Prisma 6.19, offline): the JS schema engine through a driver adapter, so no
// native engine is downloaded. The adapter follows the same rule as the service: DATABASE_URL
// (postgresql://) selects PostgreSQL through @prisma/adapter-pg; unset selects PGlite in ${DATA_DIR}/db.
import path from 'node:path';
import { defineConfig } from 'prisma/config';
import { resolveDatabaseTarget } from './src/db/database-target';
import { createDriverHandle, letPGliteTimersNotHoldProcess } from './src/db/driver-adapter.factory';

const target = resolveDatabaseTarget(process.env);
// The schema's datasource must name a url (or the CLI falls back to a native engine); for PGlite the
// value is never used to connect, it only has to be a syntactically valid PostgreSQL URL.
process.env.DATABASE_URL ||= 'postgresql://pglite@localhost/embedded';

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: path.join(__dirname, 'prisma', 'schema.prisma'),
  migrations: { path: path.join(__dirname, 'prisma', 'migrations') },
  async adapter() {
    // The CLI never closes its adapter; an embedded database must not keep the process alive.
    if (target.kind === 'pglite') letPGliteTimersNotHoldProcess();
    const handle = await createDriverHandle(target);
    return handle.factory;
  },
});
