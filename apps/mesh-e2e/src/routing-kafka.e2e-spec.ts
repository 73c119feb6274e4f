import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createEnvelope,
  encodeEnvelope,
  EVENTS,
  newTraceContext,
  type AlertChanged,
  type AssignmentChanged,
  type InferenceRun,
  type PriorityDecided,
  type StudyRef,
} from '@triage/contracts';
import { assertKafkaReachable, freePort, kafkaBrokers, uniqueSuffix, waitFor } from '@triage/testing';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { fastForwardGroups } from './support/kafka-groups';
import { E2E_PATIENT, phiLeaks } from './support/phi';
import { TopicCollector } from './support/routing-collector';
import { WebhookReceiver } from './support/routing-webhook-receiver';
import { ServiceProcess } from './support/service-process';

const ALWAYS = { kind: 'weekly', timeZone: 'UTC', days: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'], start: '00:00', end: '00:00' };
// The neuroradiologist is off shift: the neuro emergency goes to the general pool, with the reason.
const READERS = [
  { id: 'neo', name: 'Neuro Off Shift', subspecialties: ['neuro'], licences: [{ site: 'E2E' }], shifts: [], maxConcurrent: 5 },
  { id: 'gen', name: 'General On Shift', subspecialties: ['general'], licences: [{ site: 'E2E' }], shifts: [ALWAYS], maxConcurrent: 5 },
  { id: 'boss', name: 'Supervisor On Shift', subspecialties: ['general'], licences: [{ site: 'E2E' }], shifts: [ALWAYS], maxConcurrent: 5, supervisor: true },
];
const SECRET = 'e2e-routing-webhook-secret-7731';
const uidBase = `2.25.${Date.now()}${Math.floor(Math.random() * 1000)}`;

function study(n: number, kind: 'ct' | 'cxr', receivedAt: Date): StudyRef {
  return {
    studyInstanceUid: `${uidBase}.${n}`,
    accessionNumber: `E2E${n}`,
    modalities: [kind === 'ct' ? 'CT' : 'DX'],
    bodyPart: kind === 'ct' ? 'HEAD' : 'CHEST',
    patient: { id: E2E_PATIENT.id, name: E2E_PATIENT.name, birthDate: '1945-06-07' },
    context: { patientClass: kind === 'ct' ? 'emergency' : 'outpatient', orderPriority: 'routine', site: 'E2E' },
    receivedAt: receivedAt.toISOString(),
  };
}

function run(positive: boolean, modelId: string): InferenceRun {
  return {
    modelId,
    modelVersion: '1.0.0',
    modelSha256: 'f'.repeat(64),
    mode: 'active',
    status: 'succeeded',
    startedAt: new Date().toISOString(),
    latencyMs: 20,
    findings: [{ label: 'hyperdensity', kind: 'finding', code: { system: 'http://radelement.org', code: 'RDE1300', display: 'Intracranial hemorrhage' }, probability: positive ? 0.97 : 0.02, threshold: 0.5, positive, critical: true }],
  };
}

describe('routing over the real Kafka broker: worklist order, escalation until acknowledged', () => {
  const brokers = kafkaBrokers();
  const groupPrefix = `e2e-routing-${uniqueSuffix()}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'routing-e2e-'));
  const receiver = new WebhookReceiver(SECRET);
  const now = Date.now();
  const routine = [study(1, 'cxr', new Date(now - 40 * 60_000)), study(2, 'cxr', new Date(now - 20 * 60_000))];
  const ct = study(3, 'ct', new Date(now));
  const second = study(4, 'ct', new Date(now));
  const collector = new TopicCollector(brokers, [EVENTS.priorityDecided, EVENTS.assignmentChanged, EVENTS.alertChanged], new Set([...routine, ct, second].map((s) => s.studyInstanceUid)));
  let routingEnv: Record<string, string>;
  let routing: ServiceProcess;
  let producer: Producer;

  const send = async (s: StudyRef, runs: InferenceRun[]) => {
    const env = createEnvelope(EVENTS.inferenceCompleted, { study: s, runs }, { source: 'inference', subject: s.studyInstanceUid, trace: newTraceContext() });
    const wire = encodeEnvelope(env);
    await producer.send({ topic: EVENTS.inferenceCompleted.topic, messages: [{ key: wire.key, value: wire.value, headers: wire.headers }] });
  };
  const worklist = async (query: string) => {
    const res = await fetch(`${routing.url}/worklist?${query}`);
    return ((await res.json()) as { items: Array<{ studyInstanceUid: string; priority: string; reasons: Array<{ text: string }> }> }).items;
  };

  beforeAll(async () => {
    await assertKafkaReachable(brokers);
    await fastForwardGroups(brokers, groupPrefix, ['routing']);
    const readersFile = join(dataDir, 'readers.json');
    writeFileSync(readersFile, JSON.stringify(READERS));
    const hooks = await receiver.start(await freePort());
    routingEnv = {
      MESH_MODE: 'distributed',
      KAFKA_BROKERS: brokers.join(','),
      KAFKA_GROUP_PREFIX: groupPrefix,
      DATA_DIR: join(dataDir, 'routing'),
      LOG_LEVEL: 'debug',
      ROUTING_READERS_FILE: readersFile,
      // Deadlines of 1.2 s, 1.2 s and 3 s, checked every 200 ms.
      ROUTING_ACK_MINUTES: '0.02,0.02,0.05',
      ROUTING_TICK_MS: '200',
      ROUTING_WEBHOOK_URLS: `${hooks}/priority`,
      ROUTING_PAGER_URL: `${hooks}/pager`,
      ROUTING_WEBHOOK_SECRET: SECRET,
    };
    routing = new ServiceProcess('routing', await freePort(), routingEnv);
    routing.start();
    await routing.ready(120_000);
    await collector.start();
    producer = new Kafka({ brokers, clientId: `e2e-routing-${uniqueSuffix()}`, logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
  });

  afterAll(async () => {
    await producer?.disconnect();
    await collector.stop();
    const code = await routing?.stop();
    await receiver.stop();
    rmSync(dataDir, { recursive: true, force: true });
    expect(code).toBe(0);
  });

  it('a positive head CT overtakes the routine studies that came before it', async () => {
    for (const s of routine) await send(s, [run(false, 'cxr-reference')]);
    await waitFor(async () => (await worklist('pool=general&site=E2E')).length === 2, { timeoutMs: 60_000, description: 'two routine studies in the pool' });
    expect((await worklist('pool=general&site=E2E')).map((i) => i.studyInstanceUid)).toEqual(routine.map((s) => s.studyInstanceUid));

    await send(ct, [run(true, 'head-ct-hyperdensity')]);
    const items = await waitFor(
      async () => {
        const list = await worklist('pool=general&site=E2E');
        return list.length === 3 ? list : undefined;
      },
      { timeoutMs: 60_000, description: 'the head CT in the pool' },
    );
    expect(items.map((i) => [i.studyInstanceUid, i.priority])).toEqual([
      [ct.studyInstanceUid, 'critical'],
      [routine[0].studyInstanceUid, 'routine'],
      [routine[1].studyInstanceUid, 'routine'],
    ]);
    const placed = await waitFor(() => collector.of<AssignmentChanged>(EVENTS.assignmentChanged, ct.studyInstanceUid)[0], { timeoutMs: 30_000, description: 'assignment.changed' });
    expect(placed.payload.reasons[0].text).toBe('Neuro emergency (CT HEAD, critical, emergency) but no neuroradiologist is on shift: sent to the general pool');
    const decided = collector.of<PriorityDecided>(EVENTS.priorityDecided, ct.studyInstanceUid)[0];
    expect(decided.payload).toMatchObject({ priority: 'critical', ruleSetVersion: '2026.11.0' });
  });

  it('the alert escalates while nobody acknowledges it, and stops once acknowledged', async () => {
    const alerts = () => collector.of<AlertChanged>(EVENTS.alertChanged, ct.studyInstanceUid);
    await waitFor(() => alerts().length >= 2, { timeoutMs: 30_000, description: 'raised and escalated' });
    expect(alerts().slice(0, 2).map((e) => [e.payload.action, e.payload.step, e.payload.recipient?.id, e.payload.role])).toEqual([
      ['raised', 0, 'gen', 'next-qualified-reader'],
      ['escalated', 1, 'boss', 'supervisor'],
    ]);
    const alertId = alerts()[0].payload.alertId;
    const ack = await fetch(`${routing.url}/alerts/${alertId}/acknowledge`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ readerId: 'boss' }) });
    expect(ack.status).toBe(200);
    await waitFor(() => alerts().some((e) => e.payload.action === 'acknowledged'), { timeoutMs: 30_000, description: 'acknowledged event' });
    const count = alerts().length;
    // Three supervisor deadlines (3 s each) go by: an unacknowledged alert would have been re-paged.
    await new Promise((r) => setTimeout(r, 9_500));
    expect(alerts()).toHaveLength(count);
    expect(alerts().at(-1)?.payload).toMatchObject({ action: 'acknowledged', acknowledgedBy: { id: 'boss' } });
  });

  it('sent signed webhooks without patient data: the priority change and each page', async () => {
    const hooks = await waitFor(
      () => {
        const mine = receiver.received.filter((w) => w.body.includes(ct.studyInstanceUid));
        return mine.some((w) => w.path === '/priority') && mine.filter((w) => w.path === '/pager').length >= 3 ? mine : undefined;
      },
      { timeoutMs: 30_000, description: 'webhooks' },
    );
    expect(hooks.every((w) => w.verified)).toBe(true);
    const priority = JSON.parse(hooks.find((w) => w.path === '/priority')!.body);
    expect(priority).toMatchObject({ type: 'priority.changed', priority: 'critical', previousPriority: null, study: { studyInstanceUid: ct.studyInstanceUid, site: 'E2E' } });
    expect(hooks.filter((w) => w.path === '/pager').map((w) => JSON.parse(w.body).action).slice(0, 3)).toEqual(['raised', 'escalated', 'acknowledged']);
    expect(phiLeaks(hooks.map((w) => w.body))).toEqual([]);
    expect(hooks.some((w) => w.body.includes('E2E3'))).toBe(false); // accession numbers only when configured
  });

  it('a crash mid-escalation loses no alert and raises none twice: the chain goes on after the restart', async () => {
    const alerts = () => collector.of<AlertChanged>(EVENTS.alertChanged, second.studyInstanceUid);
    await send(second, [run(true, 'head-ct-hyperdensity')]);
    await waitFor(() => alerts().length >= 1, { timeoutMs: 30_000, description: 'raised' });
    const before = routing.output;
    await routing.kill();
    routing = new ServiceProcess('routing', routing.port, routingEnv);
    routing.output.unshift(...before);
    routing.start();
    await routing.ready(120_000);
    await waitFor(() => alerts().some((e) => e.payload.action === 'escalated'), { timeoutMs: 30_000, description: 'escalation after the restart' });
    expect(alerts().filter((e) => e.payload.action === 'raised')).toHaveLength(1);
    const open = (await (await fetch(`${routing.url}/alerts?studyInstanceUid=${second.studyInstanceUid}`)).json()) as { alerts: Array<{ alertId: string }> };
    expect(open.alerts).toHaveLength(1);
    const ack = await fetch(`${routing.url}/alerts/${open.alerts[0].alertId}/acknowledge`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ readerId: 'gen' }) });
    expect(ack.status).toBe(200);
    // The first study's acknowledgement survived the crash too.
    const first = (await (await fetch(`${routing.url}/alerts?state=all&studyInstanceUid=${ct.studyInstanceUid}`)).json()) as { alerts: Array<{ acknowledged?: { readerId: string } }> };
    expect(first.alerts[0].acknowledged?.readerId).toBe('boss');
  });

  it('wrote no patient data to its log', () => {
    expect(routing.output.length).toBeGreaterThan(10);
    expect(phiLeaks(routing.output)).toEqual([]);
  });
});
