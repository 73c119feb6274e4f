import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EVENTS, SERVICES, type AlertChanged, type InferenceCompleted, type ServiceName } from '@triage/contracts';
import { MeshClient, type Lineage } from '@triage/mesh-client';
import { generateHeadCtStudy, type SampleStudy } from '@triage/samples';
import { FhirTestServer, MllpTestListener, type ReceivedHl7 } from '@triage/test-peers';
import { assertKafkaReachable, assertPostgresReachable, freePort, kafkaBrokers, repoRoot, testDatabaseUrl, uniqueSuffix, waitFor } from '@triage/testing';
import { Client } from 'pg';
import { adtsFor, CARE_PATHWAY_READERS, CARE_PATHWAY_SITE, expectAllValid, orusFor, studyOnEhr } from './support/care-pathway-peers';
import { mllpSend, orderTextLeaks, statEdOrder } from './support/ingest-orders';
import { fastForwardGroups } from './support/kafka-groups';
import { E2E_PATIENT, phiLeaks } from './support/phi';
import { TopicCollector } from './support/routing-collector';
import { ServiceProcess } from './support/service-process';

const TOKEN = 'e2e-care-pathway-token';

/**
 * One study through all of it: an HL7 order over MLLP, the study over STOW-RS, five service processes over
 * the real Kafka broker and PostgreSQL, a FHIR server (@medplum/fhir-router) and an MLLP peer (python3-hl7)
 * as the EHR, a radiologist's signed read through routing's worklist API, and audit's lineage and quality.
 */
describe('the care pathway of one study: order, images, AI, priority, alert, worklist, read, final report, audit', () => {
  const brokers = kafkaBrokers();
  const databaseUrl = testDatabaseUrl();
  const groupPrefix = `e2e-care-${uniqueSuffix()}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'care-pathway-'));
  const suffix = uniqueSuffix().slice(0, 6).toUpperCase();
  const accession = `E2E-C${suffix}`;
  const startedAt = new Date().toISOString();
  const positive: SampleStudy = generateHeadCtStudy({ haemorrhage: true, seed: 41, accessionNumber: accession, patient: E2E_PATIENT });
  const negative: SampleStudy = generateHeadCtStudy({ haemorrhage: false, seed: 42, patient: E2E_PATIENT });
  const mine = new Set([positive.studyInstanceUid, negative.studyInstanceUid]);
  const collector = new TopicCollector(brokers, [EVENTS.inferenceCompleted, EVENTS.alertChanged], mine);
  const services = new Map<ServiceName, ServiceProcess>();
  let fhir: FhirTestServer;
  let mllp: MllpTestListener;
  let client: MeshClient;
  let mllpPort: number;
  let positiveLineage: Lineage;

  const url = (s: ServiceName) => services.get(s)!.url;
  const adtsReceived = () => adtsFor(mllp.received(), positive.studyInstanceUid);
  const adtSummary = (adts: ReceivedHl7[]) =>
    adts.map((m) => ({ type: m.messageType, text: m.obx.find((o) => o.code === 'critical-alert')?.value ?? m.controlId }));
  const post = (u: string, body: unknown) => fetch(u, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  const envFor = (service: ServiceName, readersFile: string): Record<string, string> => {
    const base = {
      MESH_MODE: 'distributed',
      KAFKA_BROKERS: brokers.join(','),
      KAFKA_GROUP_PREFIX: groupPrefix,
      DATA_DIR: join(dataDir, service),
      LOG_LEVEL: 'debug',
    };
    switch (service) {
      case 'ingest':
        return { ...base, HL7_MLLP_PORT: String(mllpPort) };
      case 'inference':
        return { ...base, MODELS_DIR: join(repoRoot(), 'models', 'build') };
      case 'routing':
        return { ...base, ROUTING_READERS_FILE: readersFile, ROUTING_ACK_MINUTES: '0.05,0.05,0.1', ROUTING_TICK_MS: '500' };
      case 'reporting':
        return {
          ...base,
          REPORTING_FHIR_BASE_URL: fhir.baseUrl,
          REPORTING_FHIR_TOKEN: TOKEN,
          REPORTING_MLLP_HOST: '127.0.0.1',
          REPORTING_MLLP_PORT: String(mllp.port),
          REPORTING_RETRY_BASE_MS: '100',
          REPORTING_RETRY_MAX_MS: '1000',
        };
      case 'audit':
        return { ...base, DATABASE_URL: databaseUrl };
    }
  };

  beforeAll(async () => {
    await assertKafkaReachable(brokers);
    await assertPostgresReachable(databaseUrl);
    fhir = await new FhirTestServer({ auth: { kind: 'static', token: TOKEN } }).start();
    mllp = await new MllpTestListener('AA').start();
    mllpPort = await freePort();
    const readersFile = join(dataDir, 'readers.json');
    writeFileSync(readersFile, JSON.stringify(CARE_PATHWAY_READERS));
    await fastForwardGroups(brokers, groupPrefix, [...SERVICES]);
    for (const service of SERVICES) services.set(service, new ServiceProcess(service, await freePort(), envFor(service, readersFile)));
    for (const p of services.values()) p.start();
    await Promise.all([...services.values()].map((p) => p.ready(120_000)));
    await collector.start();
    client = new MeshClient(url('ingest'), url('audit'));
  });

  afterAll(async () => {
    await collector.stop();
    const codes = await Promise.all([...services.values()].map((p) => p.stop()));
    await fhir?.stop();
    await mllp?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
    expect(codes).toEqual(SERVICES.map(() => 0));
  });

  it('takes the STAT order over MLLP (AA), then both head CTs over STOW-RS', async () => {
    expect(await mllpSend(mllpPort, statEdOrder(`CTL-C${suffix}`, accession))).toContain(`MSA|AA|CTL-C${suffix}`);
    await client.stow(positive.files);
    await client.stow(negative.files);
    positiveLineage = await client.waitForCompleteLineage(positive.studyInstanceUid, 120_000);
    await client.waitForCompleteLineage(negative.studyInstanceUid, 120_000);
    expect(positiveLineage.stages.find((s) => s.stage === 'priority')?.summary).toMatchObject({ priority: 'critical' });
  });

  it('puts the positive study on the worklist, Critical, ahead of the negative one', async () => {
    const items = await waitFor(
      async () => {
        const res = (await (await fetch(`${url('routing')}/worklist`)).json()) as { items: Array<{ studyInstanceUid: string; priority: string }> };
        const ours = res.items.filter((i) => mine.has(i.studyInstanceUid));
        return ours.length === 2 ? ours : undefined;
      },
      { timeoutMs: 30_000, description: 'both studies on the worklist' },
    );
    expect(items.map((i) => [i.studyInstanceUid, i.priority])).toEqual([
      [positive.studyInstanceUid, 'critical'],
      [negative.studyInstanceUid, 'routine'],
    ]);
    const neuro = (await (await fetch(`${url('routing')}/worklist?readerId=neuro`)).json()) as { items: Array<{ studyInstanceUid: string }> };
    expect(neuro.items.map((i) => i.studyInstanceUid)).toContain(positive.studyInstanceUid);
  });

  it('raises an alert, and the EHR receives the ADT alert carrying the finding', async () => {
    const raised = await waitFor(() => collector.of<AlertChanged>(EVENTS.alertChanged, positive.studyInstanceUid).find((e) => e.payload.action === 'raised'), {
      timeoutMs: 30_000,
      description: 'alert.changed raised',
    });
    expect(raised.payload.channels).toContain('hl7-adt');
    const adts = await waitFor(
      () => {
        const found = adtsReceived();
        return found.length > 0 ? found : undefined;
      },
      { timeoutMs: 30_000, description: 'the ADT alert' },
    );
    // One ADT per raised alert (escalations page, they do not re-send the ADT); the detail names what came.
    expect(adtSummary(adts)).toEqual([{ type: 'ADT^A08^ADT_A01', text: expect.stringContaining('step 0') }]);
    const raisedIds = collector.of<AlertChanged>(EVENTS.alertChanged, positive.studyInstanceUid).filter((e) => e.payload.action === 'raised').map((e) => e.eventId);
    expect(new Set(raisedIds).size).toBe(1);
    expect(adts[0].pid3).toBe(E2E_PATIENT.id);
    expect(adts[0].obx.filter((o) => o.valueType === 'CWE').map((o) => [o.codeText, o.value])).toEqual([['Acute intracranial hemorrhage', '52101004^Present^SCT']]);
    expect(adts[0].obx.find((o) => o.code === '121022')?.value).toBe(accession);
    expect(collector.of<AlertChanged>(EVENTS.alertChanged, negative.studyInstanceUid)).toEqual([]);
    expect(adtsFor(mllp.received(), negative.studyInstanceUid)).toEqual([]);
  });

  it('delivers one valid preliminary DiagnosticReport per study to the FHIR server, and a preliminary ORU^R01 per study', async () => {
    for (const study of [positive, negative]) {
      const found = await waitFor(
        async () => {
          const f = await studyOnEhr(fhir, study.studyInstanceUid);
          return f.reports.length === 1 && f.provenances.length > 0 ? f : undefined;
        },
        { timeoutMs: 30_000, description: `the DiagnosticReport of ${study.studyInstanceUid}` },
      );
      expect(found.reports[0].status).toBe('preliminary');
      expect(found.observations.length).toBeGreaterThan(0);
      expect(found.imagingStudies).toHaveLength(1);
      expect(found.devices.length).toBeGreaterThan(0);
      expectAllValid(found);
      const oru = await waitFor(
        () => {
          const found = orusFor(mllp.received(), study.accessionNumber);
          return found.length > 0 ? found : undefined;
        },
        { timeoutMs: 30_000, description: 'a preliminary ORU^R01' },
      );
      expect(oru.map((m) => m.obr?.['25'])).toEqual(['P']);
    }
  });

  it('a radiologist claims the positive study and signs: the report becomes final with the conclusion, still one per study', async () => {
    const claim = await post(`${url('routing')}/worklist/${positive.studyInstanceUid}/claim`, { readerId: 'neuro' });
    expect(claim.status).toBeLessThan(300);
    const completed = collector.of<InferenceCompleted>(EVENTS.inferenceCompleted, positive.studyInstanceUid)[0];
    const verdicts = completed.payload.runs
      .filter((r) => r.mode === 'active')
      .flatMap((r) => r.findings.filter((f) => f.kind === 'finding').map((f) => ({ modelId: r.modelId, label: f.label, verdict: 'confirmed' as const })));
    expect(verdicts.length).toBeGreaterThan(0);
    const impression = 'Acute intraparenchymal haemorrhage, right frontal. Findings phoned to the ED.';
    const read = await post(`${url('routing')}/worklist/${positive.studyInstanceUid}/read`, { readerId: 'neuro', verdicts, impression, sign: true });
    expect(read.status).toBeLessThan(300);

    const final = await waitFor(
      async () => {
        const f = await studyOnEhr(fhir, positive.studyInstanceUid);
        return f.reports[0]?.status === 'final' ? f : undefined;
      },
      { timeoutMs: 30_000, description: 'the final DiagnosticReport' },
    );
    expect(final.reports).toHaveLength(1);
    expect(final.reports[0].conclusion).toContain('intraparenchymal haemorrhage');
    const roles = final.provenances.flatMap((p) => p.agent.map((a) => a.type?.coding?.[0].code));
    expect(roles).toEqual(expect.arrayContaining(['author', 'verifier']));
    expectAllValid(final);
    expect((await studyOnEhr(fhir, negative.studyInstanceUid)).reports).toHaveLength(1);
    const orus = await waitFor(
      () => {
        const o = orusFor(mllp.received(), positive.accessionNumber);
        return o.length === 2 ? o : undefined;
      },
      { timeoutMs: 30_000, description: 'the final ORU^R01' },
    );
    expect(orus.map((m) => m.obr?.['25'])).toEqual(['P', 'F']);
    expect(adtSummary(adtsReceived())).toHaveLength(1);
    // Signing is the strongest acknowledgement: the escalation chain stops.
    const acked = await waitFor(() => collector.of<AlertChanged>(EVENTS.alertChanged, positive.studyInstanceUid).find((e) => e.payload.action === 'acknowledged'), {
      timeoutMs: 30_000,
      description: 'alert.changed acknowledged by the signed read',
    });
    expect(acked.payload.acknowledgedBy?.id).toBe('neuro');
  });

  it('audit: the lineage runs from arrival to final report under one trace id, and quality counts a true positive', async () => {
    const lineage = await waitFor(
      async () => {
        const l = await client.lineageByTrace(positiveLineage.traceId);
        return (l?.pathway as { complete?: boolean } | undefined)?.complete ? l : undefined;
      },
      { timeoutMs: 30_000, description: 'the complete care pathway' },
    );
    const pathway = lineage.pathway as { milestones: Array<{ milestone: string; sincePreviousMs: number | null }>; totalMs: number | null };
    expect(pathway.milestones.map((m) => m.milestone)).toEqual(['received', 'inference', 'priority', 'assigned', 'read-signed', 'final-report']);
    expect(pathway.milestones.slice(1).every((m) => typeof m.sincePreviousMs === 'number' && m.sincePreviousMs >= 0)).toBe(true);
    expect(pathway.totalMs).toBeGreaterThan(0);
    const db = new Client({ connectionString: databaseUrl });
    await db.connect();
    const rows = await db.query('SELECT DISTINCT type, trace_id FROM audit_event WHERE subject = $1', [positive.studyInstanceUid]).finally(() => db.end());
    expect(new Set(rows.rows.map((r: { trace_id: string }) => r.trace_id))).toEqual(new Set([positiveLineage.traceId]));
    expect(rows.rows.map((r: { type: string }) => r.type)).toEqual(expect.arrayContaining(['study.received', 'alert.changed', 'read.signed', 'report.issued']));
    const byStudy = await client.lineageByStudy(positive.studyInstanceUid);
    expect(byStudy?.traceId).toBe(positiveLineage.traceId);

    const modelId = collector.of<InferenceCompleted>(EVENTS.inferenceCompleted, positive.studyInstanceUid)[0].payload.runs.find((r) => r.mode === 'active')!.modelId;
    const quality = (await (await fetch(`${url('audit')}/quality?from=${encodeURIComponent(startedAt)}&modelId=${modelId}`)).json()) as {
      groups: Array<{ site: string | null; counts: { tp: number; fp: number; tn: number; fn: number } }>;
    };
    expect(quality.groups.filter((g) => g.site === CARE_PATHWAY_SITE).map((g) => g.counts)).toEqual([{ tp: 1, fp: 0, tn: 0, fn: 0 }]);
  });

  it('wrote no patient data or order free text to any service log', () => {
    const all = [...services.values()].flatMap((p) => p.output);
    expect(all.length).toBeGreaterThan(20);
    expect(phiLeaks(all)).toEqual([]);
    expect(orderTextLeaks(all)).toEqual([]);
  });
});
