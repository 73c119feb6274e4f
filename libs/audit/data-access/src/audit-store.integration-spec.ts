import { execSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { EVENTS, type Envelope } from '@triage/contracts';
import pg from 'pg';
import { AuditRepository } from './audit.repository';
import { createPrismaClient, type AuditDatabase } from './db/prisma-client.factory';
import { applyMigrationsToPGlite, readMigrations } from './db/migration.runner';
import { openPGlite } from './db/driver-adapter.factory';
import { buildThinFlowEnvelopes } from './thin-flow.fixture';

const DATABASE_URL = process.env.DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/triage_test';
const ROOT = resolve(__dirname, '..', '..', '..', '..');
const PROJECT = JSON.parse(readFileSync(resolve(__dirname, '..', 'project.json'), 'utf8')) as {
  targets: Record<string, { options: { command: string } }>;
};

/** Runs an Nx target's own command (the exact text in project.json) with the given environment. */
function runTarget(target: string, env: Record<string, string | undefined>): string {
  const command = PROJECT.targets[target].options.command;
  return execSync(command, {
    cwd: ROOT,
    env: { ...process.env, PATH: `${join(ROOT, 'node_modules', '.bin')}:${process.env.PATH ?? ''}`, ...env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 120_000,
  });
}

const TABLES = ['audit_event', 'study', 'inference_run', 'finding', 'priority_decision', 'report'];

describe('audit store on the real PostgreSQL', () => {
  let db: AuditDatabase;
  let repo: AuditRepository;
  let sql: pg.Client;

  beforeAll(async () => {
    // db-migrate is what CI runs before this tier; running it again must be a no-op that succeeds.
    runTarget('db-migrate', { DATABASE_URL });
    sql = new pg.Client({ connectionString: DATABASE_URL });
    await sql.connect();
    db = await createPrismaClient({ DATABASE_URL });
    repo = AuditRepository.of(db);
  }, 180_000);

  afterAll(async () => {
    await db?.close();
    await sql?.end();
  });

  it('has every migration applied, with Prisma checksums, and the lineage tables', async () => {
    expect(runTarget('db-status', { DATABASE_URL })).toContain('Database schema is up to date');
    const applied = await sql.query<{ migration_name: string; checksum: string }>(
      'SELECT migration_name, checksum FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
    );
    for (const m of readMigrations()) {
      expect(applied.rows).toContainEqual({ migration_name: m.name, checksum: m.checksum });
    }
    const tables = await sql.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
    );
    expect(tables.rows.map((r) => r.table_name)).toEqual(expect.arrayContaining(TABLES));
    const unique = await sql.query<{ indexdef: string }>("SELECT indexdef FROM pg_indexes WHERE indexname = 'audit_event_event_id_key'");
    expect(unique.rows[0]?.indexdef).toMatch(/UNIQUE INDEX .* \(event_id\)/);
  });

  it('db-diff finds nothing to change between schema.prisma and the migrations', () => {
    expect(runTarget('db-diff', { DATABASE_URL })).toContain('This is an empty migration');
  }, 120_000);

  it('records a study through all four stages into a complete timeline', async () => {
    const flow = buildThinFlowEnvelopes({ stepMs: 800 });
    await repo.record(flow.received, EVENTS.studyReceived.topic);
    await repo.record(flow.inference, EVENTS.inferenceCompleted.topic);
    await repo.record(flow.priority, EVENTS.priorityDecided.topic);
    await repo.record(flow.report, EVENTS.reportIssued.topic);
    const lineage = await repo.lineage({ studyInstanceUid: flow.studyInstanceUid });
    expect(lineage).toMatchObject({ traceId: flow.traceId, complete: true, missing: [] });
    expect(lineage!.stages.map((s) => s.sinceArrivalMs)).toEqual([0, 800, 1_600, 2_400]);
    const report = await db.prisma.report.findUnique({ where: { eventId: flow.report.eventId } });
    expect(report?.resource).toEqual(flow.report.payload.diagnosticReport);
  });

  it('leaves one row when the same event is redelivered concurrently', async () => {
    const flow = buildThinFlowEnvelopes();
    const deliveries = async (env: Envelope, topic: string) => Promise.all(Array.from({ length: 8 }, () => repo.record(env, topic)));
    const [inference, priority] = await Promise.all([
      deliveries(flow.inference, EVENTS.inferenceCompleted.topic),
      deliveries(flow.priority, EVENTS.priorityDecided.topic),
    ]);
    expect(inference.filter((r) => !r.duplicate)).toHaveLength(1);
    expect(priority.filter((r) => !r.duplicate)).toHaveLength(1);

    const count = async (table: string, eventId: string) =>
      Number((await sql.query<{ n: string }>(`SELECT count(*) AS n FROM ${table} WHERE event_id = $1`, [eventId])).rows[0].n);
    expect(await count('audit_event', flow.inference.eventId)).toBe(1);
    expect(await count('inference_run', flow.inference.eventId)).toBe(1);
    expect(await count('audit_event', flow.priority.eventId)).toBe(1);
    expect(await count('priority_decision', flow.priority.eventId)).toBe(1);
    const findings = await sql.query<{ n: string }>(
      'SELECT count(*) AS n FROM finding f JOIN inference_run r ON r.id = f.run_id WHERE r.event_id = $1',
      [flow.inference.eventId],
    );
    expect(Number(findings.rows[0].n)).toBe(2);
  });

  it('keeps instants exact when the session would default to another time zone', async () => {
    const url = new URL(DATABASE_URL);
    url.searchParams.set('options', '-c TimeZone=America/New_York');
    const other = await createPrismaClient({ DATABASE_URL: url.toString() });
    try {
      const flow = buildThinFlowEnvelopes({ start: new Date('2025-06-01T12:34:56.789Z') });
      await AuditRepository.of(other).record(flow.received, EVENTS.studyReceived.topic);
      const row = await other.prisma.auditEvent.findUnique({ where: { eventId: flow.received.eventId } });
      expect(row?.occurredAt.toISOString()).toBe('2025-06-01T12:34:56.789Z');
      const raw = await sql.query<{ t: string }>("SELECT to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS') AS t FROM audit_event WHERE event_id = $1", [
        flow.received.eventId,
      ]);
      expect(raw.rows[0].t).toBe('2025-06-01 12:34:56.789');
    } finally {
      await other.close();
    }
  });

  it('accepts two different study.received events of one new study arriving at once', async () => {
    const a = buildThinFlowEnvelopes();
    const b = buildThinFlowEnvelopes({ studyInstanceUid: a.studyInstanceUid, start: new Date(Date.now() + 5_000) });
    b.received.payload.instanceCount = 7;
    const results = await Promise.all([repo.record(a.received, EVENTS.studyReceived.topic), repo.record(b.received, EVENTS.studyReceived.topic)]);
    expect(results).toEqual([{ duplicate: false }, { duplicate: false }]);
    const study = await db.prisma.study.findUnique({ where: { studyInstanceUid: a.studyInstanceUid } });
    expect(study).toMatchObject({ instanceCount: 7, eventId: b.received.eventId });
  });
});

describe('the in-process migration applier and the Prisma CLI agree (PGlite on disk)', () => {
  let dataDir: string;

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'audit-migrate-'));
  });

  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('prisma migrate status sees the applier’s migrations as applied', async () => {
    const db = await openPGlite(join(dataDir, 'db'));
    try {
      const first = await applyMigrationsToPGlite(db);
      expect(first.applied).toEqual(readMigrations().map((m) => m.name));
      expect(await applyMigrationsToPGlite(db)).toEqual({ applied: [], alreadyApplied: first.applied });
    } finally {
      await db.close();
    }
    expect(runTarget('db-status', { DATABASE_URL: '', DATA_DIR: dataDir })).toContain('Database schema is up to date');
  }, 120_000);
});
