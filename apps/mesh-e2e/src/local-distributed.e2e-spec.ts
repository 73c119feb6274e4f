// deploy/local/mesh-local.sh as a developer uses it: `up` brings the distributed mesh up on one machine (five
// processes over the running Kafka broker and the local PostgreSQL), a head CT goes through it end to end,
// and `down` leaves nothing running.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SERVICES } from '@triage/contracts';
import { MeshClient } from '@triage/mesh-client';
import { assertKafkaReachable, assertPostgresReachable, freePort, kafkaBrokers, repoRoot, testDatabaseUrl, uniqueSuffix } from '@triage/testing';
import { Client } from 'pg';
import { fastForwardGroups } from './support/kafka-groups';
import { phiLeaks } from './support/phi';
import { sendHaemorrhageHeadCt } from './support/thin-flow.expectations';

const SCRIPT = join(repoRoot(), 'deploy/local/mesh-local.sh');

describe('deploy/local/mesh-local.sh: the distributed mesh on one machine', () => {
  const brokers = kafkaBrokers();
  const suffix = uniqueSuffix().replace(/\W/g, '_').toLowerCase();
  const database = `triage_local_e2e_${suffix}`;
  const groupPrefix = `e2e-local-${suffix}`;
  const stateDir = mkdtempSync(join(tmpdir(), 'mesh-local-'));
  const ports: Record<string, number> = {};
  let env: NodeJS.ProcessEnv;
  let pids: number[] = [];

  const script = (cmd: 'up' | 'down' | 'status') =>
    spawnSync('bash', [SCRIPT, cmd], { cwd: repoRoot(), env, encoding: 'utf8', timeout: 240_000 });

  beforeAll(async () => {
    await assertKafkaReachable(brokers);
    await assertPostgresReachable(testDatabaseUrl());
    for (const svc of SERVICES) ports[svc] = await freePort();
    env = {
      ...process.env,
      MESH_LOCAL_DIR: stateDir,
      MESH_LOCAL_DB: database,
      MESH_LOCAL_DROP_DB: '1',
      KAFKA_BROKERS: brokers.join(','),
      KAFKA_PORT: brokers[0].split(':')[1],
      KAFKA_GROUP_PREFIX: groupPrefix,
      INGEST_PORT: String(ports.ingest),
      INFERENCE_PORT: String(ports.inference),
      ROUTING_PORT: String(ports.routing),
      REPORTING_PORT: String(ports.reporting),
      AUDIT_PORT: String(ports.audit),
      LOG_LEVEL: 'debug',
    };
    // Fresh groups start at the end of the shared topics, not at what earlier runs left there.
    await fastForwardGroups(brokers, groupPrefix, [...SERVICES]);
    const up = script('up');
    if (up.status !== 0) throw new Error(`mesh-local.sh up exited ${up.status}:\n${up.stderr}`);
    pids = SERVICES.map((svc) => Number(readFileSync(join(stateDir, 'run', `${svc}.pid`), 'utf8').trim()));
  }, 300_000);

  afterAll(() => {
    // Whatever happened above, leave no process behind.
    if (env) script('down');
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('status reports the five services up and ready, each its own process', () => {
    const status = script('status');
    expect(status.status).toBe(0);
    for (const svc of SERVICES) expect(status.stdout).toContain(`${svc}: ready`);
    expect(new Set(pids).size).toBe(SERVICES.length);
  });

  it('reports a head CT sent over STOW-RS as Critical, with the complete lineage in its own database', async () => {
    const client = new MeshClient(`http://127.0.0.1:${ports.ingest}`, `http://127.0.0.1:${ports.audit}`);
    const { study } = await sendHaemorrhageHeadCt(client, 71);
    const url = new URL(testDatabaseUrl());
    url.pathname = `/${database}`;
    const db = new Client({ connectionString: url.toString() });
    await db.connect();
    try {
      // audit consumes each topic on its own, so rows land in arrival order across topics; the envelope's
      // occurredAt is the pipeline's order.
      const rows = await db.query('SELECT type FROM audit_event WHERE subject = $1 ORDER BY occurred_at, id', [study.studyInstanceUid]);
      const THIN_FLOW = ['study.received', 'inference.completed', 'priority.decided', 'report.issued'];
      // Routing's assignment and alert events for a Critical study land beside the thin flow, in their own time.
      expect(rows.rows.map((r) => r.type).filter((t) => THIN_FLOW.includes(t))).toEqual(THIN_FLOW);
    } finally {
      await db.end();
    }
  });

  it('wrote no patient data to the service logs', () => {
    const logs = readdirSync(join(stateDir, 'logs')).flatMap((f) => readFileSync(join(stateDir, 'logs', f), 'utf8').split('\n'));
    expect(logs.length).toBeGreaterThan(20);
    expect(phiLeaks(logs)).toEqual([]);
  });

  it('down stops every process and frees every port; the shared broker keeps running', async () => {
    const down = script('down');
    expect(down.status).toBe(0);
    const alive = pids.filter((pid) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    });
    expect(alive).toEqual([]);
    for (const svc of SERVICES) {
      const res = await fetch(`http://127.0.0.1:${ports[svc]}/health/live`).catch(() => undefined);
      expect([svc, res?.status]).toEqual([svc, undefined]);
      expect(existsSync(join(stateDir, 'run', `${svc}.pid`))).toBe(false);
    }
    expect(script('status').status).toBe(3);
    await assertKafkaReachable(brokers);
    // MESH_LOCAL_DROP_DB=1: the database is gone too.
    const admin = new Client({ connectionString: testDatabaseUrl() });
    await admin.connect();
    const left = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    await admin.end();
    expect(left.rowCount).toBe(0);
  });
});
