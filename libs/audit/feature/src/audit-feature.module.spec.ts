import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildThinFlowEnvelopes, type Lineage } from '@triage/audit-data-access';
import { encodeEnvelope, EVENTS, type Envelope, type EventDefinition } from '@triage/contracts';
import { InProcessEventBus } from '@triage/messaging';
import { bootstrapMesh, type RunningMesh } from '@triage/nest-platform';
import { createLogger } from '@triage/observability';
import { AuditFeatureModule } from './audit-feature.module';

/** The audit service as it runs embedded: real transport, in-process bus, PGlite in a temp DATA_DIR. */
describe('AuditFeatureModule (embedded: in-process bus, PGlite)', () => {
  let dataDir: string;
  let mesh: RunningMesh;
  let bus: InProcessEventBus;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'audit-feature-'));
    bus = new InProcessEventBus(createLogger({ service: 'test', level: 'silent' }));
    mesh = await bootstrapMesh({
      services: ['audit'],
      modules: () => [AuditFeatureModule],
      defaultPort: 0,
      bus,
      env: { DATA_DIR: dataDir, HTTP_PORT: '0', LOG_LEVEL: 'silent' },
    });
  }, 90_000);

  afterAll(async () => {
    await mesh?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function publish(def: EventDefinition, env: Envelope): Promise<void> {
    await bus.publish(def.topic, [encodeEnvelope(env)]);
  }

  async function get(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await fetch(`${mesh.url}${path}`);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  it('consumes the four events of a study (one redelivered) and serves its complete lineage', async () => {
    const flow = buildThinFlowEnvelopes();
    await publish(EVENTS.studyReceived, flow.received);
    await publish(EVENTS.inferenceCompleted, flow.inference);
    await publish(EVENTS.inferenceCompleted, flow.inference);
    await publish(EVENTS.priorityDecided, flow.priority);
    await publish(EVENTS.reportIssued, flow.report);
    await bus.whenIdle();

    const byTrace = await get(`/lineage/${flow.traceId}`);
    expect(byTrace.status).toBe(200);
    const lineage = byTrace.body as unknown as Lineage;
    expect(lineage.complete).toBe(true);
    expect(lineage.stages.map((s) => [s.stage, s.eventId, s.repeats])).toEqual([
      ['received', flow.received.eventId, 0],
      ['inference', flow.inference.eventId, 0],
      ['priority', flow.priority.eventId, 0],
      ['report', flow.report.eventId, 0],
    ]);
    expect(JSON.stringify(lineage)).not.toContain('ACC0001');
    expect(JSON.stringify(lineage)).not.toContain('Synthetic');

    const byStudy = await get(`/lineage?studyInstanceUid=${flow.studyInstanceUid}`);
    expect(byStudy.status).toBe(200);
    expect(byStudy.body).toEqual(byTrace.body);

    const byAccession = await get(`/lineage?accessionNumber=${flow.received.payload.study.accessionNumber}`);
    expect(byAccession.status).toBe(200);
    expect(byAccession.body).toEqual(byTrace.body);
  });

  it.each([
    ['neither key', '/lineage'],
    ['both keys', '/lineage?studyInstanceUid=1.2.3&accessionNumber=A1'],
    ['an accession number over 16 characters', `/lineage?accessionNumber=${'A'.repeat(17)}`],
    ['a repeated accession number', '/lineage?accessionNumber=A1&accessionNumber=A2'],
  ])('answers 400 INVALID_QUERY for %s, without echoing the value', async (_name, path) => {
    const res = await get(path);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'INVALID_QUERY' });
    expect(JSON.stringify(res.body)).not.toContain('AAAAAAAAAAAAAAAAA');
  });

  it('answers 404 with a JSON error for an unknown trace or study', async () => {
    const trace = await get(`/lineage/${'ab'.repeat(16)}`);
    expect(trace).toEqual({ status: 404, body: expect.objectContaining({ statusCode: 404, error: 'LINEAGE_NOT_FOUND' }) });
    const study = await get('/lineage?studyInstanceUid=1.2.826.0.1.3680043.99');
    expect(study).toEqual({ status: 404, body: expect.objectContaining({ error: 'LINEAGE_NOT_FOUND' }) });
  });

  it.each([
    ['an upper-case trace id', `/lineage/${'AB'.repeat(16)}`, 'INVALID_TRACE_ID'],
    ['a short trace id', '/lineage/abc123', 'INVALID_TRACE_ID'],
    ['the all-zero trace id', `/lineage/${'0'.repeat(32)}`, 'INVALID_TRACE_ID'],
    ['a path-like trace id', '/lineage/..%2F..%2Fetc', 'INVALID_TRACE_ID'],
    ['a UID with letters', '/lineage?studyInstanceUid=1.2.abc', 'INVALID_STUDY_INSTANCE_UID'],
    ['a UID with a leading zero component', '/lineage?studyInstanceUid=1.02.3', 'INVALID_STUDY_INSTANCE_UID'],
    ['a UID over 64 characters', `/lineage?studyInstanceUid=1.${'2'.repeat(70)}`, 'INVALID_STUDY_INSTANCE_UID'],
    ['a repeated studyInstanceUid', '/lineage?studyInstanceUid=1.2&studyInstanceUid=1.3', 'INVALID_STUDY_INSTANCE_UID'],
  ])('answers 400 for %s', async (_what, path, code) => {
    const res = await get(path);
    expect(res).toEqual({ status: 400, body: expect.objectContaining({ statusCode: 400, error: code }) });
  });

  it('reports the database in readiness', async () => {
    const ready = await get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'ok', checks: { database: { status: 'ok' } } });
  });

  it('verifies the audit hash chain over HTTP', async () => {
    const res = await get('/audit/verify');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ok: true, head: { hash: expect.stringMatching(/^[0-9a-f]{64}$/) } });
    expect(res.body.checked).toBeGreaterThanOrEqual(4);
    expect(res.body).not.toHaveProperty('firstBrokenLink');
  });
});
