import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bundle } from '@medplum/fhirtypes';
import { buildCarePathwayEnvelopes, buildQualityEnvelopes, buildThinFlowEnvelopes, type Lineage, type QualityEnvelopes, type ThinFlowEnvelopes } from '@triage/audit-data-access';
import { validateAuditResource } from '@triage/audit-domain';
import { encodeEnvelope, eventByTopic, EVENTS, type Envelope } from '@triage/contracts';
import { InProcessEventBus } from '@triage/messaging';
import { bootstrapMesh, type RunningMesh } from '@triage/nest-platform';
import { createLogger } from '@triage/observability';
import { AuditFeatureModule } from './audit-feature.module';

/** Quality, export and retention of the audit service as it runs embedded (in-process bus, PGlite). */
describe('audit governance APIs (embedded)', () => {
  let dataDir: string;
  let mesh: RunningMesh;
  let bus: InProcessEventBus;
  let q: QualityEnvelopes;
  let flow: ThinFlowEnvelopes;

  const topicOf = (env: Envelope) => Object.values(EVENTS).find((e) => e.type === env.type)!.topic;
  async function publish(envs: Envelope[]): Promise<void> {
    for (const env of envs) await bus.publish(topicOf(env), [encodeEnvelope(env)]);
    await bus.whenIdle();
  }
  async function get<T = Record<string, unknown>>(path: string): Promise<{ status: number; body: T }> {
    const res = await fetch(`${mesh.url}${path}`);
    return { status: res.status, body: (await res.json()) as T };
  }

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'audit-governance-'));
    bus = new InProcessEventBus(createLogger({ service: 'test', level: 'silent' }));
    mesh = await bootstrapMesh({
      services: ['audit'],
      modules: () => [AuditFeatureModule],
      defaultPort: 0,
      bus,
      env: { DATA_DIR: dataDir, HTTP_PORT: '0', LOG_LEVEL: 'silent' },
    });
    q = buildQualityEnvelopes();
    expect(eventByTopic(EVENTS.readSigned.topic)).toBeDefined();
    await publish([q.shadowRun, ...q.reads, q.reads[0]]);
    flow = buildThinFlowEnvelopes();
    const more = buildCarePathwayEnvelopes(flow);
    validateAuditResource({ resourceType: 'Bundle', type: 'collection' }); // loads the R4 definitions (seconds on a busy machine)
    await publish([flow.received, more.updated, flow.inference, flow.priority, flow.report, more.assigned, more.alertRaised, more.alertAcknowledged, more.read, more.finalReport, more.delivery]);
  }, 90_000);

  afterAll(async () => {
    await mesh?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  // The constructed quality set was signed on 2026-11-01; the care-pathway study below is signed today.
  type Figures = { cases: number; discrepancies: number; groups: Array<Record<string, unknown>>; subgroups: Array<Record<string, unknown>> };

  it('GET /quality: the hand-computed figures of the constructed set; the shadow model does not count', async () => {
    const { status, body } = await get<Figures>('/quality?to=2026-11-02');
    expect(status).toBe(200);
    expect(body.cases).toBe(11);
    expect(body.discrepancies).toBe(2);
    const group = (modelId: string, site: string) => body.groups.find((g) => g.modelId === modelId && g.site === site && g.modelVersion !== undefined)!;
    expect(group('ich-ct', 'A')).toMatchObject({ counts: { tp: 2, fp: 1, tn: 3, fn: 1 }, sensitivity: { numerator: 2, denominator: 3 }, specificity: { numerator: 3, denominator: 4 }, ppv: { numerator: 2, denominator: 3 } });
    expect(group('ich-ct', 'B')).toMatchObject({ counts: { tp: 1, fp: 0, tn: 2, fn: 0 } });
    expect(body.groups.some((g) => g.modelId === 'ich-shadow')).toBe(false);
    const sub = (dimension: string, value: string) => body.subgroups.find((s) => s.modelId === 'ich-ct' && s.dimension === dimension && s.value === value);
    expect(sub('sex', 'F')).toMatchObject({ counts: { tp: 1, fp: 1, tn: 2, fn: 1 } });
    expect(sub('ageBand', '65+')).toMatchObject({ counts: { tp: 1, fp: 1, tn: 1, fn: 1 } });
    expect(JSON.stringify(body)).not.toMatch(/Quality\^|QP-|Q-a|Synthetic/);
  });

  it('GET /quality?from=: only reads signed in the window', async () => {
    const { body } = await get<Figures>('/quality?from=2026-11-01T08:08:00Z&to=2026-11-02');
    expect(body.cases).toBe(3); // b1, b3 and b2's amendment
  });

  it('GET /quality/discrepancies names the studies for peer review', async () => {
    const { status, body } = await get<Array<Record<string, unknown>>>('/quality/discrepancies?modelId=ich-ct');
    expect(status).toBe(200);
    expect(body.map((d) => [d.kind, d.studyInstanceUid])).toEqual([
      ['ai-negative-read-positive', q.uids.get('a7')],
      ['ai-positive-read-negative', q.uids.get('a3')],
    ]);
  });

  it('GET /quality/labels: a de-identified manifest of the corrected labels', async () => {
    const { status, body } = await get<{ studies: number; items: Array<{ key: string; labels: unknown[] }> }>('/quality/labels?to=2026-11-02');
    expect(status).toBe(200);
    expect(body.studies).toBe(10);
    expect(body.items.every((i) => /^[0-9a-f]{32}$/.test(i.key))).toBe(true);
    const text = JSON.stringify(body);
    for (const uid of q.uids.values()) expect(text).not.toContain(uid);
    expect(text).not.toMatch(/Quality\^|QP-|Q-a|1940-|1971-|1996-|2026-/);
    const again = await get<{ items: Array<{ key: string }> }>('/quality/labels?to=2026-11-02');
    expect(again.body.items.map((i) => i.key)).toEqual(body.items.map((i) => i.key));
  });

  it('GET /quality/drift: the shadow run is not an AI call that counts', async () => {
    const { status, body } = await get<unknown[]>('/quality/drift?baselineFrom=2026-10-01&baselineTo=2026-11-01&from=2026-11-01&to=2026-11-02');
    expect(status).toBe(200);
    expect(body).toEqual([]);
  });

  it.each([
    ['/quality?from=yesterday', 'from'],
    ['/quality?from=2026-11-02&to=2026-11-01', 'before'],
    ['/quality?modelId=a&modelId=b', 'modelId'],
    ['/quality/drift?zThreshold=-1', 'zThreshold'],
  ])('answers 400 INVALID_QUERY for %s', async (path, word) => {
    const res = await get<{ error: string; message: string }>(path);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('INVALID_QUERY');
    expect(res.body.message).toContain(word);
  });

  it('GET /lineage/:traceId: the care pathway from arrival to final report with per-stage timings', async () => {
    const { status, body } = await get<Lineage>(`/lineage/${flow.traceId}`);
    expect(status).toBe(200);
    expect(body.pathway.complete).toBe(true);
    expect(body.pathway.milestones.map((m) => [m.milestone, m.sincePreviousMs])).toEqual([
      ['received', null],
      ['inference', 1_500],
      ['priority', 1_500],
      ['assigned', 2_500],
      ['read-signed', 2_000],
      ['final-report', 1_000],
    ]);
    expect(body.timeline.filter((t) => t.type === 'alert.changed')).toHaveLength(2);
    expect(body.timeline.filter((t) => t.type === 'delivery.recorded')).toHaveLength(1);
  });

  it('GET /lineage/:traceId/fhir: AuditEvents and Provenances, each valid FHIR R4', async () => {
    const res = await fetch(`${mesh.url}/lineage/${flow.traceId}/fhir`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/fhir+json');
    const bundle = (await res.json()) as Bundle;
    expect(bundle).toMatchObject({ resourceType: 'Bundle', type: 'collection' });
    const resources = (bundle.entry ?? []).map((e) => e.resource!);
    expect(resources.filter((r) => r.resourceType === 'AuditEvent')).toHaveLength(11);
    expect(resources.filter((r) => r.resourceType === 'Provenance')).toHaveLength(2);
    for (const r of resources) expect(() => validateAuditResource(r)).not.toThrow();
    const arrival = resources.find((r) => r.resourceType === 'AuditEvent' && r.id === flow.received.eventId);
    expect(arrival).toMatchObject({ entity: expect.arrayContaining([expect.objectContaining({ what: { identifier: { value: 'TEST-PATIENT' } }, role: expect.objectContaining({ code: '1' }) })]) });
    expect((await get(`/lineage/${'cd'.repeat(16)}/fhir`)).status).toBe(404);
    expect((await get('/lineage/XYZ/fhir')).status).toBe(400);
  });
});
