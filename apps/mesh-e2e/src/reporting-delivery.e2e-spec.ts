import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DiagnosticReport, Resource } from '@medplum/fhirtypes';
import { createEnvelope, encodeEnvelope, EVENTS, type Envelope, type EventDefinition } from '@triage/contracts';
import { assertValidResource } from '@triage/reporting-domain';
import { assertKafkaReachable, freePort, kafkaBrokers, uniqueSuffix, waitFor } from '@triage/testing';
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
import { Kafka, logLevel, type Producer } from 'kafkajs';
import type { z } from 'zod';
import { fastForwardGroups } from './support/kafka-groups';
import { ServiceProcess } from './support/service-process';

/**
 * The reporting service as its own process over the real Kafka broker, delivering to a FHIR server
 * (@medplum/fhir-router over HTTP) and an MLLP peer (python3-hl7): the EHR is down, reporting is killed
 * mid-stream, events are redelivered, and still every study ends in exactly one DiagnosticReport and
 * every event in exactly one HL7 message.
 */
describe('reporting delivery through an EHR outage and a crash (Kafka, FHIR server, MLLP peer)', () => {
  const brokers = kafkaBrokers();
  const groupPrefix = `e2e-rpt-${uniqueSuffix()}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'reporting-e2e-'));
  const run = Date.now() % 1_000_000;
  let producer: Producer;
  let fhir: FhirTestServer;
  let mllp: MllpTestListener;
  let reporting: ServiceProcess | undefined;
  const output: string[] = [];

  const startReporting = async () => {
    const p = new ServiceProcess('reporting', await freePort(), {
      MESH_MODE: 'distributed',
      KAFKA_BROKERS: brokers.join(','),
      KAFKA_GROUP_PREFIX: groupPrefix,
      DATA_DIR: dataDir,
      LOG_LEVEL: 'debug',
      REPORTING_FHIR_BASE_URL: fhir.baseUrl,
      REPORTING_FHIR_TOKEN: 'e2e-static-token',
      REPORTING_MLLP_HOST: '127.0.0.1',
      REPORTING_MLLP_PORT: String(mllp.port),
      REPORTING_RETRY_BASE_MS: '100',
      REPORTING_RETRY_MAX_MS: '1000',
    });
    p.start();
    await p.ready(120_000);
    return p;
  };

  const send = async <S extends z.ZodType>(def: EventDefinition<S>, env: Envelope<z.infer<S>>) => {
    await producer.send({ topic: def.topic, messages: [encodeEnvelope(env)] });
  };
  const envelope = <S extends z.ZodType>(def: EventDefinition<S>, payload: z.input<S>, subject: string) =>
    createEnvelope(def, payload, { source: def.producer, subject, trace: { traceId: randomBytes(16).toString('hex') } });

  beforeAll(async () => {
    await assertKafkaReachable(brokers);
    await fastForwardGroups(brokers, groupPrefix, ['reporting']);
    producer = new Kafka({ brokers, clientId: `e2e-rpt-${uniqueSuffix()}`, logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    fhir = await new FhirTestServer({ auth: { kind: 'static', token: 'e2e-static-token' } }).start();
    mllp = await new MllpTestListener('AA').start();
  });

  afterAll(async () => {
    await reporting?.stop();
    await producer?.disconnect();
    await fhir?.stop();
    await mllp?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('ends with one DiagnosticReport per study and one message per event', async () => {
    const studies = [fixtureStudy(`${run}1`), fixtureStudy(`${run}2`), fixtureStudy(`${run}3`)];
    const positive = [true, false, true];
    const decisions = studies.map((s, i) => envelope(EVENTS.priorityDecided, fixtureDecision(s, positive[i]), s.studyInstanceUid));
    const reads = [0, 2].map((i) => envelope(EVENTS.readSigned, fixtureRead(studies[i], positive[i]), studies[i].studyInstanceUid));
    const alert = envelope(EVENTS.alertChanged, fixtureAlert(studies[0]), studies[0].studyInstanceUid);

    // The EHR's FHIR server goes down before anything arrives.
    await fhir.stop();
    reporting = await startReporting();
    for (const s of studies) await send(EVENTS.studyReceived, envelope(EVENTS.studyReceived, fixtureReceived(s), s.studyInstanceUid));
    for (const d of decisions) await send(EVENTS.priorityDecided, d);
    await send(EVENTS.alertChanged, alert);
    await waitFor(() => reporting!.output.some((l) => l.includes('delivery failed, will retry') && l.includes('"channel":"fhir"')), {
      timeoutMs: 60_000,
      description: 'FHIR deliveries retrying while the EHR is down',
    });
    await waitFor(() => mllp.received().length >= 4, { timeoutMs: 30_000, description: '3 ORUs and the ADT alert received' });

    // Crash mid-stream, then the bus redelivers and new events arrive while reporting is down.
    await reporting.kill();
    output.push(...reporting.output);
    for (const d of decisions) await send(EVENTS.priorityDecided, d);
    for (const r of reads) await send(EVENTS.readSigned, r);
    await send(EVENTS.readSigned, reads[0]);
    reporting = await startReporting();
    await fhir.start();

    const uids = new Set(studies.map((s) => s.studyInstanceUid));
    const ours = async () =>
      (await fhir.all<DiagnosticReport>('DiagnosticReport')).filter((r) => r.identifier?.some((i) => uids.has(i.value?.replace(/^urn:oid:/, '') ?? '')));
    const distinctIds = () => new Set(mllp.received().map((m) => m.controlId)).size;
    // The killed consumer stays in the group until its session times out (30 s), then the restart takes over.
    await waitFor(async () => (await ours()).filter((r) => r.status === 'final').length === 2 && distinctIds() >= 6, {
      timeoutMs: 90_000,
      description: 'both reads final on the EHR and 6 HL7 messages',
    });
    // Give late duplicates a chance to show up before counting.
    await new Promise((r) => setTimeout(r, 1500));

    const reports = await ours();
    expect(reports).toHaveLength(3);
    expect(reports.map((r) => r.status).sort()).toEqual(['final', 'final', 'preliminary']);
    for (const type of ['DiagnosticReport', 'Observation', 'ImagingStudy', 'Provenance', 'Device'] as const) {
      for (const r of await fhir.all<Resource>(type)) expect(() => assertValidResource({ ...r, meta: undefined })).not.toThrow();
    }
    // A kill -9 between the peer's ACK and the outbox marking the job done resends that message after the
    // restart, with the same MSH-10 and content: HL7 receivers treat a repeated control id as a resend.
    const received = mllp.received();
    const byControlId = new Map<string, typeof received>();
    for (const m of received) byControlId.set(m.controlId, [...(byControlId.get(m.controlId) ?? []), m]);
    for (const copies of byControlId.values()) {
      expect(new Set(copies.map((c) => JSON.stringify({ ...c, mode: undefined }))).size).toBe(1);
    }
    const distinct = [...byControlId.values()].map((copies) => copies[0]);
    expect(distinct.map((m) => m.messageType).sort()).toEqual([
      'ADT^A08^ADT_A01',
      'ORU^R01^ORU_R01',
      'ORU^R01^ORU_R01',
      'ORU^R01^ORU_R01',
      'ORU^R01^ORU_R01',
      'ORU^R01^ORU_R01',
    ]);
    expect(received.length - distinct.length).toBeLessThanOrEqual(1);
    expect(distinct.filter((m) => m.obr?.['25'] === 'F')).toHaveLength(2);

    output.push(...reporting.output);
    const leaks = output.filter((l) => [FIXTURE_PATIENT.id, 'TESTCASE', 'REPORTING^', FIXTURE_PATIENT.birthDate].some((n) => l.includes(n)));
    expect(leaks).toEqual([]);
  });
});
