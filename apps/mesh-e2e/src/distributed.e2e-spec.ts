import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EVENTS, SERVICES, type ServiceName } from '@triage/contracts';
import { MeshClient } from '@triage/mesh-client';
import { generateHeadCtStudy } from '@triage/samples';
import {
  assertKafkaReachable,
  assertPostgresReachable,
  consumeAll,
  freePort,
  kafkaBrokers,
  repoRoot,
  testDatabaseUrl,
  uniqueSuffix,
  waitFor,
} from '@triage/testing';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { fastForwardGroups } from './support/kafka-groups';
import { E2E_PATIENT, phiLeaks } from './support/phi';
import { ServiceProcess } from './support/service-process';
import { sendHaemorrhageHeadCt } from './support/thin-flow.expectations';

describe('the thin flow with five service processes over the real Kafka broker and PostgreSQL', () => {
  const brokers = kafkaBrokers();
  const databaseUrl = testDatabaseUrl();
  const groupPrefix = `e2e-${uniqueSuffix()}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'mesh-dist-'));
  const services = new Map<ServiceName, ServiceProcess>();
  let client: MeshClient;
  let db: Client;

  const envFor = (service: ServiceName): Record<string, string> => ({
    MESH_MODE: 'distributed',
    KAFKA_BROKERS: brokers.join(','),
    KAFKA_GROUP_PREFIX: groupPrefix,
    DATA_DIR: join(dataDir, service),
    MODELS_DIR: join(repoRoot(), 'models', 'build'),
    LOG_LEVEL: 'debug',
    ...(service === 'audit' ? { DATABASE_URL: databaseUrl } : {}),
  });

  beforeAll(async () => {
    await assertKafkaReachable(brokers);
    await assertPostgresReachable(databaseUrl);
    db = new Client({ connectionString: databaseUrl });
    await db.connect();
    await fastForwardGroups(brokers, groupPrefix, [...SERVICES]);
    for (const service of SERVICES) {
      services.set(service, new ServiceProcess(service, await freePort(), envFor(service)));
    }
    for (const p of services.values()) p.start();
    await Promise.all([...services.values()].map((p) => p.ready(120_000)));
    client = new MeshClient(services.get('ingest')!.url, services.get('audit')!.url);
  });

  afterAll(async () => {
    const codes = await Promise.all([...services.values()].map((p) => p.stop()));
    await db?.end();
    rmSync(dataDir, { recursive: true, force: true });
    expect(codes).toEqual(SERVICES.map(() => 0));
  });

  it('each service answers readiness with its own checks', async () => {
    const audit = await fetch(`${services.get('audit')!.url}/health/ready`).then((r) => r.json());
    expect(audit).toMatchObject({ status: 'ok', checks: { 'bus:kafka': { status: 'ok' }, database: { status: 'ok' } } });
    const inference = await fetch(`${services.get('inference')!.url}/health/ready`).then((r) => r.json());
    expect(inference).toMatchObject({ status: 'ok', checks: { models: { status: 'ok' } } });
  });

  it('reports a head CT with a hyperdensity as Critical, with the lineage in PostgreSQL under one trace id', async () => {
    const { study, lineage } = await sendHaemorrhageHeadCt(client, 31);
    // audit consumes each topic on its own, so rows land in arrival order across topics; the envelope's
    // occurredAt is the pipeline's order.
    const rows = await db.query('SELECT type, trace_id FROM audit_event WHERE subject = $1 ORDER BY occurred_at, id', [study.studyInstanceUid]);
    const THIN_FLOW = ['study.received', 'inference.completed', 'priority.decided', 'report.issued'];
    // Routing's assignment and alert events for a Critical study land beside the thin flow, in their own time.
    expect(rows.rows.map((r) => r.type).filter((t) => THIN_FLOW.includes(t))).toEqual(THIN_FLOW);
    expect(new Set(rows.rows.map((r) => r.trace_id))).toEqual(new Set([lineage.traceId]));
  });

  it('redelivering a study.received event does not duplicate any effect', async () => {
    const study = generateHeadCtStudy({ haemorrhage: false, seed: 32, patient: E2E_PATIENT });
    await client.stow(study.files);
    const first = await client.waitForCompleteLineage(study.studyInstanceUid, 120_000);
    const original = await waitFor(
      async () => (await consumeAll(brokers, EVENTS.studyReceived.topic, { timeoutMs: 3_000 })).find((m) => m.key === study.studyInstanceUid),
      { timeoutMs: 30_000, description: 'the original study.received message' },
    );
    // Redeliver the very same bytes and headers, as a rebalance or a producer retry would.
    const producer = new Kafka({ brokers, clientId: 'e2e-redeliver', logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    await producer.send({ topic: EVENTS.studyReceived.topic, messages: [{ key: original.key, value: original.value, headers: original.headers }] });
    await producer.disconnect();
    // The whole chain runs again (same derived event ids) and ends with a second, identical report.issued.
    const reissued = await waitFor(
      async () => {
        const mine = (await consumeAll(brokers, EVENTS.reportIssued.topic, { timeoutMs: 3_000 })).filter((m) => m.key === study.studyInstanceUid);
        return mine.length >= 2 ? mine : undefined;
      },
      { timeoutMs: 90_000, description: 'the redelivered chain reaching report.issued' },
    );
    expect(new Set(reissued.map((m) => m.headers['event-id'])).size).toBe(1);
    await waitFor(async () => (await client.lineageByStudy(study.studyInstanceUid))?.stages.length === 4, { timeoutMs: 10_000 });
    const counts = await db.query(
      `SELECT (SELECT count(*) FROM report WHERE study_instance_uid = $1)::int AS reports,
              (SELECT count(*) FROM inference_run WHERE study_instance_uid = $1)::int AS runs`,
      [study.studyInstanceUid],
    );
    // One model applies to a head CT: one run, one report, and each event (the thin flow's four, and routing's
    // assignment of the routine study to its pool) recorded once.
    expect(counts.rows[0]).toEqual({ reports: 1, runs: 1 });
    const events = await db.query('SELECT type, count(*)::int AS n FROM audit_event WHERE subject = $1 GROUP BY type', [study.studyInstanceUid]);
    const perType = Object.fromEntries(events.rows.map((r) => [r.type, r.n]));
    expect(perType).toMatchObject({ 'study.received': 1, 'inference.completed': 1, 'priority.decided': 1, 'report.issued': 1 });
    expect(Object.entries(perType).filter(([, n]) => n !== 1)).toEqual([]);
    const again = await client.lineageByStudy(study.studyInstanceUid);
    expect(again?.stages.map((s) => s.eventId)).toEqual(first.stages.map((s) => s.eventId));
  });

  it('a service killed mid-stream catches up after restart: the study still ends in exactly one report', async () => {
    const routing = services.get('routing')!;
    await routing.kill();
    const study = generateHeadCtStudy({ haemorrhage: true, seed: 33, patient: E2E_PATIENT });
    await client.stow(study.files);
    await waitFor(async () => (await client.lineageByStudy(study.studyInstanceUid))?.stages.some((s) => s.stage === 'inference'), {
      timeoutMs: 60_000,
      description: 'inference done while routing is down',
    });
    expect((await client.lineageByStudy(study.studyInstanceUid))?.complete).toBe(false);
    const restarted = new ServiceProcess('routing', routing.port, envFor('routing'));
    services.set('routing', restarted);
    restarted.start();
    await restarted.ready(120_000);
    const lineage = await client.waitForCompleteLineage(study.studyInstanceUid, 120_000);
    expect(lineage.stages.map((s) => s.stage)).toEqual(['received', 'inference', 'priority', 'report']);
    const reports = await db.query('SELECT count(*)::int AS n FROM report WHERE study_instance_uid = $1', [study.studyInstanceUid]);
    expect(reports.rows[0].n).toBe(1);
  });

  it('wrote no patient data to any service log', () => {
    const all = [...services.values()].flatMap((p) => p.output);
    expect(all.length).toBeGreaterThan(20);
    expect(phiLeaks(all)).toEqual([]);
  });
});
