/**
 * Reporting's delivery paths against raw anchors, side by side in one run, against the same peers.
 *
 *   node -r @swc-node/register bench/reporting.bench.ts [--studies 60] [--messages 1000]
 *
 * The test EHR's MemoryRepository answers each conditional update with a scan, so a bundle costs more as
 * the server fills: both FHIR sides start from an empty server and send the same number of bundles.
 *
 * FHIR: resources per second reaching a FHIR server (@medplum/fhir-router + MemoryRepository over HTTP,
 * the test EHR). Ours: priority.decided handled by ReportingEngine (state file, resources built and
 * validated with @medplum/core, transaction Bundle of conditional updates, fsync'd outbox job) and
 * delivered by the outbox with fhir-kit-client, one bundle at a time. Raw: the same bundles, built
 * beforehand, POSTed one at a time with fetch to a fresh server of the same kind.
 * HL7: ORU^R01 per second over MLLP with the ACK awaited, against the python3-hl7 listener (no fsync).
 * Ours: priority.decided through ReportingEngine (ORU built, outbox, MllpClient, ACK
 * interpreted); a middle row sends the prebuilt messages with our Hl7Sender alone. Raw: a net.Socket
 * writing the same framed bytes and waiting for each ACK frame (ping-pong).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEnvelope, EVENTS } from '@triage/contracts';
import { createLogger } from '@triage/observability';
import { buildPreliminaryOru, buildReportResources, toTransactionBundle } from '@triage/reporting-domain';
import { Hl7Sender, loadReportingOptions, ReportingEngine } from '@triage/reporting-feature';
import { FhirTestServer, fixtureDecision, fixtureReceived, fixtureStudy, MllpTestListener } from '@triage/test-peers';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const STUDIES = arg('studies', 60);
const MESSAGES = arg('messages', 1000);
const TRACE = { traceId: '5bf92f3577b34da6a3ce929d0e0e4736' };
const logger = createLogger({ service: 'bench', level: 'silent' });
const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;

const decisions = (n: number, prefix: string) =>
  Array.from({ length: n }, (_, i) => {
    const study = fixtureStudy(`${prefix}${i}`);
    return { study, received: fixtureReceived(study), decision: fixtureDecision(study, i % 2 === 0) };
  });

async function waitDrained(engine: ReportingEngine, total: number): Promise<void> {
  while (engine.outbox.counts().done < total) await new Promise((r) => setTimeout(r, 2));
}

async function fhirOurs(): Promise<{ perSecond: number; resources: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-rpt-'));
  const server = await new FhirTestServer().start();
  const engine = new ReportingEngine(loadReportingOptions({ REPORTING_FHIR_BASE_URL: server.baseUrl }, { DATA_DIR: dir }), { reportIssued: async () => undefined, deliveryRecorded: async () => undefined }, logger);
  await engine.start();
  const items = decisions(STUDIES, '81');
  for (const it of items) await engine.onStudyReceived(createEnvelope(EVENTS.studyReceived, it.received, { source: 'ingest', subject: it.study.studyInstanceUid, trace: TRACE }));
  const started = process.hrtime.bigint();
  for (const it of items) await engine.onPriorityDecided(createEnvelope(EVENTS.priorityDecided, it.decision, { source: 'routing', subject: it.study.studyInstanceUid, trace: TRACE }));
  await waitDrained(engine, STUDIES);
  const s = seconds(started);
  const resources = (await Promise.all(['DiagnosticReport', 'Observation', 'ImagingStudy', 'Provenance', 'Endpoint', 'Device'].map((t) => server.all(t as 'Device')))).reduce((n, r) => n + r.length, 0);
  await engine.stop();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
  // Resources written per bundle: 6 per study (Device shared, but written with every bundle).
  return { perSecond: (STUDIES * 6) / s, resources };
}

async function fhirRaw(): Promise<number> {
  const server = await new FhirTestServer().start();
  const bundles = decisions(STUDIES, '82').map((it, i) => {
    const { resources } = buildReportResources({ study: it.study, series: it.received.series, retrieveUrl: it.received.retrieveUrl, decision: it.decision }, new Date());
    return JSON.stringify(toTransactionBundle(resources, `b${i}`, new Date()));
  });
  const started = process.hrtime.bigint();
  for (const body of bundles) {
    const res = await fetch(server.baseUrl, { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body });
    if (!res.ok) throw new Error(`raw POST ${res.status}`);
    await res.arrayBuffer();
  }
  const s = seconds(started);
  await server.stop();
  return (STUDIES * 6) / s;
}

/** Our CPU cost alone: state to validated resources and bundle, no I/O (what a faster EHR would expose). */
function fhirBuildOnly(): number {
  const items = decisions(STUDIES, '86');
  const started = process.hrtime.bigint();
  for (const it of items) {
    const { resources } = buildReportResources({ study: it.study, series: it.received.series, retrieveUrl: it.received.retrieveUrl, decision: it.decision }, new Date());
    JSON.stringify(toTransactionBundle(resources, 'b', new Date()));
  }
  return (STUDIES * 6) / seconds(started);
}

const parties = { sendingApplication: 'TRIAGE-MESH', sendingFacility: 'TRIAGE', receivingApplication: 'EHR', receivingFacility: 'EHR' };

async function hl7Ours(listener: MllpTestListener): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-rpt-'));
  const engine = new ReportingEngine(
    loadReportingOptions({ REPORTING_MLLP_HOST: '127.0.0.1', REPORTING_MLLP_PORT: String(listener.port) }, { DATA_DIR: dir }),
    { reportIssued: async () => undefined, deliveryRecorded: async () => undefined },
    logger,
  );
  await engine.start();
  const items = decisions(MESSAGES, '83');
  const started = process.hrtime.bigint();
  for (const it of items) await engine.onPriorityDecided(createEnvelope(EVENTS.priorityDecided, it.decision, { source: 'routing', subject: it.study.studyInstanceUid, trace: TRACE }));
  await waitDrained(engine, MESSAGES);
  const s = seconds(started);
  await engine.stop();
  rmSync(dir, { recursive: true, force: true });
  return MESSAGES / s;
}

const prebuilt = (prefix: string) => decisions(MESSAGES, prefix).map((it, i) => buildPreliminaryOru(it.decision, `ev-${prefix}-${i}`, parties, new Date().toISOString()));

async function hl7SenderOnly(listener: MllpTestListener): Promise<number> {
  const sender = new Hl7Sender('127.0.0.1', listener.port, 10_000);
  const msgs = prebuilt('84');
  const started = process.hrtime.bigint();
  for (const m of msgs) {
    const r = await sender.send({ body: m.text } as never);
    if (r.outcome !== 'delivered') throw new Error(`not delivered: ${r.detail}`);
  }
  const s = seconds(started);
  await sender.close();
  return MESSAGES / s;
}

async function hl7Raw(listener: MllpTestListener): Promise<number> {
  const msgs = prebuilt('85').map((m) => Buffer.concat([Buffer.from([0x0b]), Buffer.from(m.text, 'utf8'), Buffer.from([0x1c, 0x0d])]));
  const socket = connect({ host: '127.0.0.1', port: listener.port });
  socket.setNoDelay(true);
  await new Promise<void>((r) => socket.once('connect', () => r()));
  let pending: (() => void) | undefined;
  let buf = Buffer.alloc(0);
  socket.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    const end = buf.indexOf(Buffer.from([0x1c, 0x0d]));
    if (end >= 0) {
      buf = buf.subarray(end + 2);
      pending?.();
    }
  });
  const started = process.hrtime.bigint();
  for (const m of msgs) {
    await new Promise<void>((resolve) => {
      pending = resolve;
      socket.write(m);
    });
  }
  const s = seconds(started);
  socket.destroy();
  return MESSAGES / s;
}

async function main(): Promise<void> {
  const raw = await fhirRaw();
  const ours = await fhirOurs();
  const build = fhirBuildOnly();
  const listener = await new MllpTestListener('AA', false).start();
  const hl7RawRate = await hl7Raw(listener);
  const hl7SenderRate = await hl7SenderOnly(listener);
  const hl7OursRate = await hl7Ours(listener);
  await listener.dispose();
  const row = (name: string, rate: number, anchor: number, unit: string) =>
    `${name.padEnd(58)} ${rate.toFixed(0).padStart(7)} ${unit}   ratio ${(rate / anchor).toFixed(2)}`;
  console.log(`FHIR: ${STUDIES} studies, 6 resources per bundle (server holds ${ours.resources} distinct resources after ours)`);
  console.log(row('raw HTTP POST of the same bundles (anchor)', raw, raw, 'resources/s'));
  console.log(row('ours: engine + validation + outbox + fhir-kit-client', ours.perSecond, raw, 'resources/s'));
  console.log(row('ours, build + validate + bundle only (no I/O)', build, raw, 'resources/s'));
  console.log(`HL7: ${MESSAGES} ORU^R01, one at a time, ACK awaited (python3-hl7 listener)`);
  console.log(row('raw socket ping-pong of the same messages (anchor)', hl7RawRate, hl7RawRate, 'msgs/s'));
  console.log(row('Hl7Sender alone (MllpClient + ACK check)', hl7SenderRate, hl7RawRate, 'msgs/s'));
  console.log(row('ours: engine + outbox (fsync) + Hl7Sender', hl7OursRate, hl7RawRate, 'msgs/s'));
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
