// The production build as the container runs it: dist/ beside node_modules and models/, started with plain
// node (no TypeScript at run time), plus the two commands the Helm hook Jobs run from the same image.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertKafkaReachable, assertPostgresReachable, freePort, kafkaBrokers, repoRoot, testDatabaseUrl, uniqueSuffix, waitFor } from '@triage/testing';
import { Client } from 'pg';
import { build } from './build';

const ROOT = repoRoot();

describe('production build (tools/build/build.ts)', () => {
  const app = mkdtempSync(join(tmpdir(), 'mesh-build-'));
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    // The runtime image's layout: /app/dist, /app/node_modules, /app/models.
    await build(join(app, 'dist'));
    symlinkSync(join(ROOT, 'node_modules'), join(app, 'node_modules'));
    symlinkSync(join(ROOT, 'models'), join(app, 'models'));
    // What deploy/Dockerfile writes for --build-arg SERVICE=routing.
    writeFileSync(join(app, 'dist/entrypoint.js'), "require('./apps/routing/src/main.js');\n");
  }, 120_000);

  afterAll(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    rmSync(app, { recursive: true, force: true });
  });

  it('emits plain JavaScript for every service with the @triage aliases rewritten, and no tests', () => {
    for (const svc of ['ingest', 'inference', 'routing', 'reporting', 'audit', 'mesh']) {
      expect(existsSync(join(app, 'dist/apps', svc, 'src/main.js'))).toBe(true);
    }
    expect(existsSync(join(app, 'dist/libs/audit/data-access/prisma/schema.prisma'))).toBe(true);
    expect(existsSync(join(app, 'dist/tools/kafka/provision-topics.js'))).toBe(true);
    const check = spawnSync('grep', ['-rlE', "require\\(\"@triage/|\\.spec\\.js", join(app, 'dist')], { encoding: 'utf8' });
    expect(check.stdout).toBe('');
    expect(spawnSync('find', [join(app, 'dist'), '-name', '*.spec.js'], { encoding: 'utf8' }).stdout).toBe('');
  });

  it('requires only production dependencies and Node built-ins (the runtime image has no devDependencies)', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const found = spawnSync('grep', ['-rhoE', 'require\\("[^./][^"]*"\\)', join(app, 'dist')], { encoding: 'utf8' }).stdout;
    const packages = new Set(found.split('\n').filter(Boolean).map((r) => /require\("((?:@[^/"]+\/)?[^/"]+)/.exec(r)![1]));
    expect(packages.size).toBeGreaterThan(10);
    const extra = [...packages].filter((p) => !(p in pkg.dependencies) && !builtinModules.includes(p.replace(/^node:/, '')));
    expect(extra).toEqual([]);
  });

  it.each([
    ['routing', 'dist/apps/routing/src/main.js'],
    ['mesh', 'dist/apps/mesh/src/main.js'],
    ['image', 'dist/entrypoint.js'],
  ])('%s: node %s starts (embedded mode) and answers /health/live', async (svc, entry) => {
    const port = await freePort();
    const output: string[] = [];
    const child = spawn(process.execPath, [entry], {
      cwd: app,
      env: { PATH: process.env.PATH, NODE_ENV: 'production', HTTP_PORT: String(port), DATA_DIR: join(app, `var-${svc}`), LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    child.stdout.on('data', (b: Buffer) => output.push(b.toString()));
    child.stderr.on('data', (b: Buffer) => output.push(b.toString()));
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}: ${output.join('').slice(-2000)}`);
        const res = await fetch(`http://127.0.0.1:${port}/health/live`).catch(() => undefined);
        return res?.status === 200;
      },
      { timeoutMs: 60_000, intervalMs: 250, description: `${svc} live` },
    );
    const ready = await fetch(`http://127.0.0.1:${port}/health/ready`);
    expect(ready.status).toBe(200);
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
  }, 90_000);

  it('the migration hook command migrates a PostgreSQL database from dist/', async () => {
    const base = testDatabaseUrl();
    await assertPostgresReachable(base);
    const dbName = `build_${uniqueSuffix().replace(/\W/g, '_')}`;
    const admin = new Client({ connectionString: base });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${dbName}`);
    const url = new URL(base);
    url.pathname = `/${dbName}`;
    try {
      const run = spawnSync(
        process.execPath,
        ['node_modules/prisma/build/index.js', 'migrate', 'deploy', '--config', 'dist/libs/audit/data-access/prisma.config.ts'],
        { cwd: app, env: { PATH: process.env.PATH, HOME: tmpdir(), CHECKPOINT_DISABLE: '1', DATABASE_URL: url.toString() }, encoding: 'utf8', timeout: 120_000 },
      );
      expect({ status: run.status, out: run.status === 0 ? '' : run.stdout + run.stderr }).toEqual({ status: 0, out: '' });
      const db = new Client({ connectionString: url.toString() });
      await db.connect();
      const tables = await db.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`);
      await db.end();
      expect(tables.rows.map((r) => r.table_name)).toEqual(expect.arrayContaining(['audit_event', '_prisma_migrations']));
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await admin.end();
    }
  }, 150_000);

  it('the topics hook command reaches the broker from dist/ (dry run)', async () => {
    const brokers = kafkaBrokers();
    await assertKafkaReachable(brokers);
    const run = spawnSync(process.execPath, ['dist/tools/kafka/provision-topics.js', '--dry-run'], {
      cwd: app,
      env: { PATH: process.env.PATH, KAFKA_BROKERS: brokers.join(',') },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('triage.study.received.v1');
  }, 90_000);
});
