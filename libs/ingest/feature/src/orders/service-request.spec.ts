// FHIR ServiceRequest intake, including BAD-INPUTS section 11 (each refusal is a 4xx OperationOutcome).
import { request } from 'node:http';
import { waitFor } from '@triage/testing';
import { startOrdersApp, stowChest, type OrdersTestApp } from './orders-test.support';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  json: { resourceType?: string; id?: string; issue?: { severity: string; code: string }[] };
}

function post(url: string, body: string | Buffer, contentType = 'application/fhir+json'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'Content-Type': contentType } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, json: JSON.parse(Buffer.concat(chunks).toString() || '{}') as Answer['json'] }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const serviceRequest = (accession: string, extra: Record<string, unknown> = {}) => ({
  resourceType: 'ServiceRequest',
  status: 'active',
  intent: 'order',
  priority: 'stat',
  identifier: [{ type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'ACSN' }] }, value: accession }],
  code: { coding: [{ system: 'http://loinc.org', code: '36643-5', display: 'XR Chest 2V' }] },
  subject: { reference: 'Patient/example' },
  encounter: { reference: '#enc' },
  requester: { reference: '#dr' },
  reasonCode: [{ text: 'Chest pain' }],
  locationCode: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-RoleCode', code: 'ER' }], text: 'GENERAL-ED' }],
  contained: [
    { resourceType: 'Encounter', id: 'enc', status: 'in-progress', class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'EMER' } },
    { resourceType: 'Practitioner', id: 'dr', name: [{ family: 'Quinn', given: ['Michaela'], prefix: ['Dr'] }] },
  ],
  ...extra,
});

describe('FHIR ServiceRequest intake', () => {
  let app: OrdersTestApp;
  beforeAll(async () => {
    app = await startOrdersApp({ env: { FHIR_MAX_BODY_BYTES: '65536' } });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('201 with Location; the study handed on before it gets study.updated with the mapped context', async () => {
    const uid = await stowChest(app, waitFor, 'ACC-FHIR-1');
    const answer = await post(`${app.url}/fhir/ServiceRequest`, JSON.stringify(serviceRequest('ACC-FHIR-1')));
    expect(answer.status).toBe(201);
    expect(answer.json.resourceType).toBe('ServiceRequest');
    expect(answer.headers.location).toBe(`${app.url}/fhir/ServiceRequest/${answer.json.id}/_history/1`);
    const update = await waitFor(() => app.updated.find((e) => e.payload.study.studyInstanceUid === uid), { description: 'study.updated' });
    expect(update.payload.study.context).toEqual({ patientClass: 'emergency', orderPriority: 'stat', reasonForExam: 'Chest pain', orderingProvider: 'Dr Michaela Quinn', site: 'GENERAL-ED' });
    const again = await post(`${app.url}/fhir/ServiceRequest`, JSON.stringify(serviceRequest('ACC-FHIR-1')));
    expect([again.status, again.json.id]).toEqual([201, answer.json.id]);
  });

  it.each([
    ['not JSON', '{"resourceType": "ServiceRequest",', 'application/fhir+json', 400, 'structure'],
    ['not JSON, sent as application/json', '{"resourceType": "ServiceRequest", "note": [{"text": "Jane Doe', 'application/json', 400, 'structure'],
    ['another resource type', JSON.stringify({ resourceType: 'Patient' }), 'application/fhir+json', 400, 'invalid'],
    ['a code outside its required value set', JSON.stringify(serviceRequest('ACC-X', { status: 'not-a-status' })), 'application/fhir+json', 400, 'code-invalid'],
    ['a missing required element', JSON.stringify(serviceRequest('ACC-X', { subject: undefined })), 'application/fhir+json', 400, undefined],
    ['an unknown element', JSON.stringify(serviceRequest('ACC-X', { colour: 'blue' })), 'application/fhir+json', 400, undefined],
    ['nothing to join on', JSON.stringify(serviceRequest('ACC-X', { identifier: [] })), 'application/fhir+json', 422, 'required'],
    ['XML', '<ServiceRequest/>', 'application/fhir+xml', 415, 'not-supported'],
    ['a huge body', JSON.stringify(serviceRequest('ACC-X', { note: [{ text: 'x'.repeat(70_000) }] })), 'application/fhir+json', 413, 'too-costly'],
  ])('%s: 4xx with an OperationOutcome', async (_name, body, type, status, code) => {
    const answer = await post(`${app.url}/fhir/ServiceRequest`, body, type);
    expect(answer.status).toBe(status);
    expect(answer.headers['content-type']).toMatch(/^application\/fhir\+json/);
    expect(answer.json.resourceType).toBe('OperationOutcome');
    expect(answer.json.issue?.[0]?.severity).toBe('error');
    if (code) expect(answer.json.issue?.[0]?.code).toBe(code);
    // The endpoint still serves the next good request.
    expect((await post(`${app.url}/fhir/ServiceRequest`, JSON.stringify(serviceRequest('ACC-NEXT')))).status).toBe(201);
  });

  it('a malformed application/json body: the OperationOutcome does not quote the body; an unknown FHIR route: 404 OperationOutcome', async () => {
    const answer = await post(`${app.url}/fhir/ServiceRequest`, '{"resourceType": "ServiceRequest", "subject": {"display": "Jane Doe', 'application/json');
    expect([answer.status, answer.json.resourceType, answer.json.issue?.[0]?.code]).toEqual([400, 'OperationOutcome', 'structure']);
    expect(JSON.stringify(answer.json)).not.toContain('Jane');
    const unknown = await post(`${app.url}/fhir/Patient`, JSON.stringify({ resourceType: 'Patient' }));
    expect([unknown.status, String(unknown.headers['content-type']).split(';')[0], unknown.json.resourceType]).toEqual([404, 'application/fhir+json', 'OperationOutcome']);
    // Paths outside /fhir keep the platform's own answers.
    const plain = await post(`${app.url}/no-such-route`, '{}', 'application/json');
    expect([plain.status, (plain.json as { statusCode?: number }).statusCode]).toEqual([404, 404]);
  });

  it('bad parameters: 400 OperationOutcome', async () => {
    const answer = await post(`${app.url}/fhir/ServiceRequest?_count=abc`, JSON.stringify(serviceRequest('ACC-P')));
    expect([answer.status, answer.json.resourceType, answer.json.issue?.[0]?.code]).toEqual([400, 'OperationOutcome', 'not-supported']);
  });
});
