import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EVENTS } from '@triage/contracts';
import { MeshClient } from '@triage/mesh-client';
import { generateChestXrayStudy } from '@triage/samples';
import { assertKafkaReachable, consumeAll, freePort, kafkaBrokers, uniqueSuffix, waitFor } from '@triage/testing';
import { E2E_PATIENT, phiLeaks } from './support/phi';
import { mllpSend, orderTextLeaks, statEdOrder as orm } from './support/ingest-orders';
import { ServiceProcess } from './support/service-process';

async function messagesFor(topic: string, key: string, count: number) {
  return waitFor(
    async () => {
      const mine = (await consumeAll(kafkaBrokers(), topic, { timeoutMs: 3_000 })).filter((m) => m.key === key);
      return mine.length >= count ? mine : undefined;
    },
    { timeoutMs: 60_000, description: `${count} message(s) on ${topic} for ${key}` },
  );
}

describe('ingest as a service over Kafka: HL7 v2 and FHIR orders joined onto studies', () => {
  const brokers = kafkaBrokers();
  const dataDir = mkdtempSync(join(tmpdir(), 'e2e-orders-'));
  const suffix = uniqueSuffix().slice(0, 6).toUpperCase();
  let ingest: ServiceProcess;
  let mllpPort: number;
  let env: Record<string, string>;
  const outputs: string[] = [];

  beforeAll(async () => {
    await assertKafkaReachable(brokers);
    mllpPort = await freePort();
    env = { MESH_MODE: 'distributed', KAFKA_BROKERS: brokers.join(','), KAFKA_GROUP_PREFIX: `e2e-orders-${suffix}`, DATA_DIR: dataDir, LOG_LEVEL: 'debug', HL7_MLLP_PORT: String(mllpPort) };
    ingest = new ServiceProcess('ingest', await freePort(), env);
    ingest.start();
    await ingest.ready(120_000);
  });

  afterAll(async () => {
    outputs.push(...ingest.output);
    expect(await ingest.stop()).toBe(0);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('order first over MLLP: the study.received on Kafka carries the order context', async () => {
    const accession = `E2E-O${suffix}`;
    expect(await mllpSend(mllpPort, orm(`CTL-O${suffix}`, accession))).toContain(`MSA|AA|CTL-O${suffix}`);
    const study = generateChestXrayStudy({ accessionNumber: accession, patient: E2E_PATIENT });
    await new MeshClient(ingest.url, ingest.url).stow(study.files);
    const [received] = await messagesFor(EVENTS.studyReceived.topic, study.studyInstanceUid, 1);
    const payload = (JSON.parse(received.value ?? '{}') as { payload: { study: { context: unknown } } }).payload;
    expect(payload.study.context).toEqual({ patientClass: 'emergency', orderPriority: 'stat', reasonForExam: 'Suspected pneumothorax', orderingProvider: 'GREGORY HOUSE', site: 'GENERAL' });
  });

  it('study first, then a FHIR ServiceRequest: study.updated (context-updated); after a crash, an MLLP resend is acknowledged and not announced again', async () => {
    const accession = `E2E-S${suffix}`;
    const study = generateChestXrayStudy({ accessionNumber: accession, patient: E2E_PATIENT });
    await new MeshClient(ingest.url, ingest.url).stow(study.files);
    await messagesFor(EVENTS.studyReceived.topic, study.studyInstanceUid, 1);
    const sr = {
      resourceType: 'ServiceRequest',
      status: 'active',
      intent: 'order',
      priority: 'asap',
      subject: { reference: 'Patient/e2e' },
      identifier: [{ type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'ACSN' }] }, value: accession }],
    };
    const created = await fetch(`${ingest.url}/fhir/ServiceRequest`, { method: 'POST', headers: { 'Content-Type': 'application/fhir+json' }, body: JSON.stringify(sr) });
    expect(created.status).toBe(201);
    const [update] = await messagesFor(EVENTS.studyUpdated.topic, study.studyInstanceUid, 1);
    const payload = (JSON.parse(update.value ?? '{}') as { payload: { changes: string[]; revision: number; study: { context: { orderPriority: string } } } }).payload;
    expect([payload.changes, payload.revision, payload.study.context.orderPriority]).toEqual([['context-updated'], 1, 'asap']);

    const message = orm(`CTL-S${suffix}`, accession);
    expect(await mllpSend(mllpPort, message)).toContain(`MSA|AA|CTL-S${suffix}`);
    await messagesFor(EVENTS.studyUpdated.topic, study.studyInstanceUid, 2); // the HL7 order adds class and stat
    outputs.push(...ingest.output);
    await ingest.kill();
    ingest = new ServiceProcess('ingest', ingest.port, env);
    ingest.start();
    await ingest.ready(120_000);
    expect(await mllpSend(mllpPort, message)).toContain(`MSA|AA|CTL-S${suffix}`);
    const after = (await consumeAll(brokers, EVENTS.studyUpdated.topic, { timeoutMs: 5_000 })).filter((m) => m.key === study.studyInstanceUid);
    // At-least-once: a crash between publishing and recording an update may publish it again with the same
    // event id (consumers de-duplicate on it); what must not happen is a new update.
    expect(new Set(after.map((m) => m.headers['event-id'])).size).toBe(2);
  });

  it('wrote no patient data to the ingest log', () => {
    const all = [...outputs, ...ingest.output];
    expect(all.length).toBeGreaterThan(10);
    expect(phiLeaks(all)).toEqual([]);
    expect(orderTextLeaks(all)).toEqual([]);
  });
});
