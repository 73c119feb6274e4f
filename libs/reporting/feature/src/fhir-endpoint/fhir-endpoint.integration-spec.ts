import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bundle, CapabilityStatement, DiagnosticReport, OperationOutcome, Parameters } from '@medplum/fhirtypes';
import { createEnvelope, encodeEnvelope, EVENTS, type EventDefinition } from '@triage/contracts';
import { bootstrapMesh, type RunningMesh } from '@triage/nest-platform';
import { assertValidResource } from '@triage/reporting-domain';
import { freePort, waitFor } from '@triage/testing';
import { fixtureDecision, fixtureRead, fixtureReceived, fixtureStudy } from '@triage/test-peers';
import type { z } from 'zod';
import { ReportingFeatureModule } from '../reporting-feature.module';
import { REPORT_TOPIC } from './subscriptions';

const TRACE = { traceId: '0af7651916cd43dd8448eb211c80319c' };
const BACKPORT = 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition';

describe("the mesh's own FHIR endpoint (reporting HTTP, integration)", () => {
  let dir: string;
  let mesh: RunningMesh | undefined;
  let hook: Server;
  const notifications: Bundle[] = [];

  const start = async () => {
    mesh = await bootstrapMesh({
      services: ['reporting'],
      modules: () => [ReportingFeatureModule],
      defaultPort: 0,
      env: { MESH_MODE: 'embedded', DATA_DIR: dir, HTTP_PORT: String(await freePort()), LOG_LEVEL: 'silent' },
    });
    return mesh;
  };
  const publish = async <S extends z.ZodType>(def: EventDefinition<S>, payload: z.input<S>, subject: string) => {
    await mesh!.bus.publish(def.topic, [encodeEnvelope(createEnvelope(def, payload, { source: def.producer, subject, trace: TRACE }))]);
  };
  const get = async <T>(path: string): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${mesh!.url}/fhir/R4/${path}`);
    return { status: res.status, body: (await res.json()) as T };
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'reporting-fhir-'));
    hook = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        notifications.push(JSON.parse(body) as Bundle);
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()));
    // Reporting reads its own settings from the process environment.
    process.env.REPORTING_SUBSCRIPTION_ALLOWED_ORIGINS = `http://127.0.0.1:${(hook.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    delete process.env.REPORTING_SUBSCRIPTION_ALLOWED_ORIGINS;
    await mesh?.close();
    await new Promise((r) => hook.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves read and search of emitted resources, a CapabilityStatement, OperationOutcome errors and rest-hook notifications', async () => {
    await start();
    const meta = await get<CapabilityStatement>('metadata');
    expect(meta.status).toBe(200);
    expect(() => assertValidResource(meta.body)).not.toThrow();
    expect(meta.body.rest?.[0].resource?.map((r) => r.type)).toEqual(expect.arrayContaining(['DiagnosticReport', 'Observation', 'ImagingStudy', 'Subscription']));

    const hookUrl = `http://127.0.0.1:${(hook.address() as { port: number }).port}/notify`;
    const sub = await fetch(`${mesh!.url}/fhir/R4/Subscription`, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json' },
      body: JSON.stringify({
        resourceType: 'Subscription',
        status: 'requested',
        reason: 'final reports to the ward system',
        criteria: REPORT_TOPIC,
        _criteria: { extension: [{ url: `${BACKPORT}/backport-filter-criteria`, valueString: 'DiagnosticReport?status=final' }] },
        channel: { type: 'rest-hook', endpoint: hookUrl, payload: 'application/fhir+json', _payload: { extension: [{ url: `${BACKPORT}/backport-payload-content`, valueCode: 'full-resource' }] } },
      }),
    });
    expect(sub.status).toBe(201);
    const bad = await fetch(`${mesh!.url}/fhir/R4/Subscription`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ resourceType: 'Patient' }) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as OperationOutcome).resourceType).toBe('OperationOutcome');
    const elsewhere = await fetch(`${mesh!.url}/fhir/R4/Subscription`, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json' },
      body: JSON.stringify({ resourceType: 'Subscription', status: 'requested', reason: 'x', criteria: REPORT_TOPIC, channel: { type: 'rest-hook', endpoint: 'http://169.254.169.254/latest' } }),
    });
    expect(elsewhere.status).toBe(422);

    const pos = fixtureStudy(501);
    const neg = fixtureStudy(502);
    await publish(EVENTS.studyReceived, fixtureReceived(pos), pos.studyInstanceUid);
    await publish(EVENTS.priorityDecided, fixtureDecision(pos, true), pos.studyInstanceUid);
    await publish(EVENTS.priorityDecided, fixtureDecision(neg, false), neg.studyInstanceUid);
    await waitFor(async () => (await get<Bundle>('DiagnosticReport')).body.entry?.length === 2, { description: 'two reports served' });

    const bySubject = await get<Bundle<DiagnosticReport>>('DiagnosticReport?subject:identifier=RPT-PAT-7731&status=preliminary');
    expect(bySubject.body.entry).toHaveLength(2);
    const byId = await get<Bundle<DiagnosticReport>>(`DiagnosticReport?identifier=${encodeURIComponent(`urn:triage-mesh:diagnostic-report|${pos.studyInstanceUid}/ai-preread`)}`);
    expect(byId.body.entry).toHaveLength(1);
    expect((await get<Bundle>('DiagnosticReport?date=2026-11-21')).body.entry).toHaveLength(2);
    expect((await get<Bundle>('Observation?code=http://radelement.org|RDES194&subject:identifier=RPT-PAT-7731')).body.entry).toHaveLength(2);
    expect((await get<Bundle>('Observation?code=http://snomed.info/sct|1386000')).body.entry).toHaveLength(2);
    const studies = await get<Bundle>('ImagingStudy');
    expect(studies.body.entry).toHaveLength(2);
    const report = byId.body.entry![0].resource!;
    expect((await get<DiagnosticReport>(`DiagnosticReport/${report.id}`)).body.status).toBe('preliminary');

    expect((await get<OperationOutcome>('DiagnosticReport/does-not-exist')).status).toBe(404);
    const unknown = await get<OperationOutcome>('DiagnosticReport?colour=blue');
    expect(unknown.status).toBe(400);
    expect(unknown.body.issue?.[0].details?.text).toMatch(/colour/);
    expect((await get<OperationOutcome>('Patient')).status).toBe(404);
    expect(notifications).toHaveLength(0);

    await publish(EVENTS.readSigned, fixtureRead(pos, true), pos.studyInstanceUid);
    await waitFor(() => notifications.length === 1, { description: 'a notification for the final report' });
    const note = notifications[0];
    expect(note.type).toBe('history');
    const status = note.entry![0].resource as Parameters;
    expect(status.parameter?.find((p) => p.name === 'type')?.valueCode).toBe('event-notification');
    expect((note.entry![1].resource as DiagnosticReport).status).toBe('final');

    // After a restart the endpoint serves the same resources, rebuilt from reporting's durable state.
    await mesh!.close();
    mesh = undefined;
    await start();
    const again = await get<DiagnosticReport>(`DiagnosticReport/${report.id}`);
    expect(again.body).toMatchObject({ status: 'final', conclusion: expect.stringContaining('haemorrhage') });
    expect((await get<Bundle>('DiagnosticReport?status=final')).body.entry).toHaveLength(1);
  });
});
