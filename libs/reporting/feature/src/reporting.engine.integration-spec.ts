import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { DiagnosticReport, Observation, Resource } from '@medplum/fhirtypes';
import { createEnvelope, EVENTS, type DeliveryRecorded, type EventDefinition, type ReportIssued } from '@triage/contracts';
import { createLogger } from '@triage/observability';
import { assertValidResource, preliminaryReportId } from '@triage/reporting-domain';
import { waitFor } from '@triage/testing';
import {
  FIXTURE_PATIENT,
  FhirTestServer,
  fixtureAlert,
  fixtureDecision,
  fixtureRead,
  fixtureReceived,
  fixtureStudy,
  MllpTestListener,
} from '@triage/test-peers';
import { generateKeyPair, exportJWK, exportPKCS8 } from 'jose';
import type { z } from 'zod';
import { ReportingEngine } from './reporting.engine';
import { loadReportingOptions, type ReportingOptions } from './reporting.options';

const TRACE = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736' };
const env = <S extends z.ZodType>(def: EventDefinition<S>, payload: z.input<S>, subject: string) =>
  createEnvelope(def, payload, { source: def.producer, subject, trace: TRACE });

const running = new Set<Harness>();

/** One reporting engine over a data directory, with what it published and logged. */
class Harness {
  issued: ReportIssued[] = [];
  deliveries: DeliveryRecorded[] = [];
  logs = '';
  engine!: ReportingEngine;
  constructor(readonly options: ReportingOptions) {}
  async start(): Promise<this> {
    const sink = new Writable({ write: (chunk: Buffer, _e, cb) => ((this.logs += chunk.toString()), cb()) });
    this.engine = new ReportingEngine(
      this.options,
      {
        reportIssued: async (p) => void this.issued.push(p),
        deliveryRecorded: async (p) => void this.deliveries.push(p),
      },
      createLogger({ service: 'reporting', level: 'debug', destination: sink }),
    );
    await this.engine.start();
    running.add(this);
    return this;
  }
  stop(): Promise<void> {
    running.delete(this);
    return this.engine.stop();
  }
}

function options(dataDir: string, extra: Record<string, string>): ReportingOptions {
  return loadReportingOptions({ REPORTING_RETRY_BASE_MS: '40', REPORTING_RETRY_MAX_MS: '300', REPORTING_HL7_ACK_TIMEOUT_MS: '800', ...extra }, { DATA_DIR: dataDir });
}

const strip = <T extends Resource>(r: T): T => ({ ...r, meta: undefined });

describe('reporting delivery to a FHIR server and an MLLP peer (integration)', () => {
  let dir: string;
  let fhir: FhirTestServer;
  let mllp: MllpTestListener;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'reporting-it-'));
    fhir = await new FhirTestServer({ auth: { kind: 'static', token: 'dev-token-1' } }).start();
    mllp = await new MllpTestListener('AA').start();
  });
  afterEach(async () => {
    for (const h of [...running]) await h.stop();
    await fhir.stop();
    await mllp.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  const cfg = () => ({ REPORTING_FHIR_BASE_URL: fhir.baseUrl, REPORTING_FHIR_TOKEN: 'dev-token-1', REPORTING_MLLP_HOST: '127.0.0.1', REPORTING_MLLP_PORT: String(mllp.port) });

  it('delivers a positive and a negative study as valid resources and ORUs, then makes the report final after the read', async () => {
    const h = await new Harness(options(dir, cfg())).start();
    const pos = fixtureStudy(101);
    const neg = fixtureStudy(102);
    for (const s of [pos, neg]) await h.engine.onStudyReceived(env(EVENTS.studyReceived, fixtureReceived(s), s.studyInstanceUid));
    await h.engine.onPriorityDecided(env(EVENTS.priorityDecided, fixtureDecision(pos, true), pos.studyInstanceUid));
    await h.engine.onPriorityDecided(env(EVENTS.priorityDecided, fixtureDecision(neg, false), neg.studyInstanceUid));
    await waitFor(() => h.deliveries.filter((d) => d.outcome === 'delivered').length === 4, { description: '2 bundles and 2 ORUs delivered' });

    const reports = await fhir.all<DiagnosticReport>('DiagnosticReport');
    expect(reports.map((r) => r.status).sort()).toEqual(['preliminary', 'preliminary']);
    for (const type of ['DiagnosticReport', 'Observation', 'ImagingStudy', 'Device', 'Endpoint', 'Provenance'] as const) {
      for (const r of await fhir.all(type)) expect(() => assertValidResource(strip(r))).not.toThrow();
    }
    expect(await fhir.all('Device')).toHaveLength(1);
    expect(await fhir.all('ImagingStudy')).toHaveLength(2);
    const obs = await fhir.all<Observation>('Observation');
    expect(obs.map((o) => o.valueCodeableConcept?.coding?.[0].code).sort()).toEqual(['2667000', '52101004']);
    const posReport = reports.find((r) => r.identifier?.some((i) => i.value === `${pos.studyInstanceUid}/ai-preread`))!;
    expect(posReport.result?.[0].reference).toMatch(/^Observation\//);

    const orus = mllp.received();
    expect(orus.map((m) => m.messageType)).toEqual(['ORU^R01^ORU_R01', 'ORU^R01^ORU_R01']);
    expect(orus[0].pid3).toBe(FIXTURE_PATIENT.id);
    expect(orus[0].obx[0]).toMatchObject({ code: 'RDES194', codeSystem: '99RDE', value: '52101004^Present^SCT', status: 'P' });
    expect(orus[1].obx[0].value).toBe('2667000^Absent^SCT');

    await h.engine.onReadSigned(env(EVENTS.readSigned, fixtureRead(pos, true), pos.studyInstanceUid));
    await waitFor(() => mllp.received().length === 3 && h.deliveries.filter((d) => d.outcome === 'delivered').length === 6, { description: 'final delivered' });
    const after = await fhir.all<DiagnosticReport>('DiagnosticReport');
    expect(after).toHaveLength(2);
    const final = after.find((r) => r.id === posReport.id)!;
    expect(final).toMatchObject({ status: 'final', conclusion: expect.stringContaining('intraparenchymal haemorrhage') });
    expect(final.conclusionCode?.[0].coding?.[0].code).toBe('1386000');
    expect(mllp.received()[2].obr?.['25']).toBe('F');
    expect(await fhir.all('Practitioner')).toHaveLength(1);
    expect(h.issued.map((i) => i.status)).toEqual(['preliminary', 'preliminary', 'final']);
    expect(h.issued[2].reportId).toBe(preliminaryReportId(pos.studyInstanceUid));
    expect(h.logs).not.toContain(FIXTURE_PATIENT.id);
    expect(h.logs).not.toContain('TESTCASE');
    await h.stop();
  });

  it('survives an EHR outage, redelivered events and a restart: one report per study, one ORU per event', async () => {
    await fhir.stop();
    const studies = [fixtureStudy(201), fixtureStudy(202), fixtureStudy(203)];
    const decisions = studies.map((s, i) => env(EVENTS.priorityDecided, fixtureDecision(s, i !== 1), s.studyInstanceUid));
    const reads = studies.map((s, i) => env(EVENTS.readSigned, fixtureRead(s, i !== 1), s.studyInstanceUid));
    let h = await new Harness(options(dir, cfg())).start();
    for (const d of decisions.slice(0, 2)) await h.engine.onPriorityDecided(d);
    await waitFor(() => h.deliveries.some((d) => d.channel === 'fhir' && d.outcome === 'retrying' && d.attempt >= 2), { description: 'FHIR retries while down' });
    // Restart mid-stream with the EHR still down; the bus redelivers what was not committed.
    await h.stop();
    h = await new Harness(options(dir, cfg())).start();
    for (const d of decisions) await h.engine.onPriorityDecided(d);
    await h.engine.onReadSigned(reads[0]);
    await h.engine.onReadSigned(reads[0]);
    await fhir.start();
    await h.engine.onReadSigned(reads[2]);
    await waitFor(() => h.engine.outbox.counts().pending === 0, { timeoutMs: 20_000, description: 'outbox drained' });

    const reports = await fhir.all<DiagnosticReport>('DiagnosticReport');
    expect(reports).toHaveLength(3);
    expect(reports.map((r) => r.status).sort()).toEqual(['final', 'final', 'preliminary']);
    const orus = mllp.received();
    // 3 preliminary + 2 final ORUs, each exactly once (and 5 bundles).
    expect(orus).toHaveLength(5);
    expect(new Set(orus.map((m) => m.controlId)).size).toBe(5);
    expect(h.engine.outbox.counts()).toEqual({ pending: 0, done: 10, dead: 0 });
    const delivered = h.deliveries.filter((d) => d.outcome === 'delivered');
    expect(new Set(delivered.map((d) => d.deliveryId)).size).toBe(delivered.length);
    await h.stop();
  });

  it('dead-letters an AE with its code, retries AR and silence until an AA, and sends the ADT alert with the finding', async () => {
    const h = await new Harness(options(dir, { REPORTING_MLLP_HOST: '127.0.0.1', REPORTING_MLLP_PORT: String(mllp.port), REPORTING_HL7_ADT_EVENT: 'A08' })).start();
    const s = fixtureStudy(301);
    mllp.setMode('AE');
    await h.engine.onPriorityDecided(env(EVENTS.priorityDecided, fixtureDecision(s, true), s.studyInstanceUid));
    const dead = await waitFor(() => h.deliveries.find((d) => d.outcome === 'dead-lettered'), { description: 'AE dead-lettered' });
    expect(dead).toMatchObject({ channel: 'hl7', messageType: 'ORU^R01', attempt: 1, detail: 'AE' });

    mllp.setMode('AR');
    await h.engine.onAlertChanged(env(EVENTS.alertChanged, fixtureAlert(s), s.studyInstanceUid));
    await waitFor(() => h.deliveries.some((d) => d.messageType === 'ADT^A08' && d.outcome === 'retrying' && d.detail === 'AR'), { description: 'AR retried' });
    mllp.setMode('none');
    await waitFor(() => h.deliveries.some((d) => d.messageType === 'ADT^A08' && /no ACK/.test(d.detail ?? '')), { description: 'silence retried' });
    mllp.setMode('AA');
    const ok = await waitFor(() => h.deliveries.find((d) => d.messageType === 'ADT^A08' && d.outcome === 'delivered'), { description: 'ADT delivered' });
    const adts = mllp.received().filter((m) => m.messageType === 'ADT^A08^ADT_A01');
    expect(new Set(adts.map((m) => m.controlId))).toEqual(new Set([ok.deliveryId]));
    expect(adts[0].evn?.['1']).toBe('A08');
    expect(adts[0].obx[0]).toMatchObject({ code: 'RDES194', value: '52101004^Present^SCT' });
    expect(adts.at(-1)?.obx.at(-1)?.value).toMatch(/^CRITICAL FINDING ALERT/);
    await h.stop();
  });

  it('authenticates with SMART Backend Services and dead-letters a bundle the server refuses', async () => {
    await fhir.stop();
    const { publicKey, privateKey } = await generateKeyPair('RS384', { extractable: true });
    const publicJwk = { ...(await exportJWK(publicKey)), alg: 'RS384' };
    const smart = await new FhirTestServer({ auth: { kind: 'smart', clientId: 'triage-mesh', publicJwk } }).start();
    const keyFile = join(dir, 'key.pem');
    writeFileSync(keyFile, await exportPKCS8(privateKey));
    const h = await new Harness(
      options(dir, { REPORTING_FHIR_BASE_URL: smart.baseUrl, REPORTING_SMART_TOKEN_URL: smart.tokenUrl, REPORTING_SMART_CLIENT_ID: 'triage-mesh', REPORTING_SMART_KEY_FILE: keyFile }),
    ).start();
    const s = fixtureStudy(401);
    await h.engine.onPriorityDecided(env(EVENTS.priorityDecided, fixtureDecision(s, true), s.studyInstanceUid));
    await waitFor(() => h.deliveries.find((d) => d.outcome === 'delivered'), { description: 'delivered with a SMART token' });
    expect(smart.requests.filter((r) => r.path.endsWith('/auth/token')).map((r) => r.status)).toEqual([200]);
    expect(await smart.all('DiagnosticReport')).toHaveLength(1);
    await h.stop();
    await smart.stop();

    const wrong = await new Harness(options(join(dir, 'b'), { REPORTING_FHIR_BASE_URL: `${smart.baseUrl.replace(/\/fhir\/R4$/, '')}/not-fhir`, REPORTING_FHIR_TOKEN: 'x' })).start();
    await smart.start();
    await wrong.engine.onPriorityDecided(env(EVENTS.priorityDecided, fixtureDecision(s, true), s.studyInstanceUid));
    const dead = await waitFor(() => wrong.deliveries.find((d) => d.outcome === 'dead-lettered'), { description: 'refused bundle dead-lettered' });
    expect(dead.detail).toMatch(/^HTTP 404/);
    await wrong.stop();
    await smart.stop();
  });
});
