import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeEnvelope, EVENTS, SERVICES, type Envelope, type InferenceCompleted } from '@triage/contracts';
import { readTransferSyntax } from '@triage/inference-domain';
import { MeshClient } from '@triage/mesh-client';
import { preliminaryReportId } from '@triage/reporting-domain';
import { generateHeadCtStudy, HEAD_CT_PHANTOM } from '@triage/samples';
import { assertKafkaReachable, assertPostgresReachable, freePort, kafkaBrokers, repoRoot, testDatabaseUrl, uniqueSuffix } from '@triage/testing';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { PNG } from 'pngjs';
import { fastForwardGroups } from './support/kafka-groups';
import { E2E_PATIENT, phiLeaks } from './support/phi';
import { ServiceProcess } from './support/service-process';
import { expectReportedFlow } from './support/thin-flow.expectations';

/**
 * The AI pre-read through the whole mesh over the real Kafka broker and PostgreSQL (the five services in
 * one process, MESH_MODE=distributed): a head CT with a hyperdense region and one without are sent over
 * STOW-RS; they get different findings, priorities and reports, and the positive finding carries a
 * heatmap reference that the inference service serves as a PNG.
 */
describe('inference end to end: a hyperdense head CT and a normal one through the mesh', () => {
  const brokers = kafkaBrokers();
  const groupPrefix = `e2e-inference-${uniqueSuffix()}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'mesh-inference-e2e-'));
  const seen = new Map<string, Envelope<InferenceCompleted>>();
  let mesh: ServiceProcess;
  let client: MeshClient;
  let observer: Consumer;

  beforeAll(async () => {
    await assertKafkaReachable(brokers);
    await assertPostgresReachable(testDatabaseUrl());
    await fastForwardGroups(brokers, groupPrefix, [...SERVICES]);
    // An observer of inference.completed, as any downstream consumer of the topic sees it.
    observer = new Kafka({ brokers, clientId: 'e2e-inference-observer', logLevel: logLevel.NOTHING }).consumer({ groupId: `${groupPrefix}-observer` });
    await observer.connect();
    await observer.subscribe({ topic: EVENTS.inferenceCompleted.topic, fromBeginning: true });
    await observer.run({
      eachMessage: async ({ message }) => {
        if (!message.value) return;
        const env = decodeEnvelope(EVENTS.inferenceCompleted, message.value);
        seen.set(env.subject, env);
      },
    });
    mesh = new ServiceProcess('mesh', await freePort(), {
      MESH_MODE: 'distributed',
      KAFKA_BROKERS: brokers.join(','),
      KAFKA_GROUP_PREFIX: groupPrefix,
      DATABASE_URL: testDatabaseUrl(),
      DATA_DIR: dataDir,
      MODELS_DIR: join(repoRoot(), 'models', 'build'),
      LOG_LEVEL: 'debug',
    });
    mesh.start();
    await mesh.ready(120_000);
    client = new MeshClient(mesh.url);
  }, 180_000);

  afterAll(async () => {
    await observer?.disconnect().catch(() => undefined);
    const code = await mesh?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    expect(code).toBe(0);
  });

  const completed = async (studyInstanceUid: string) => {
    for (let i = 0; i < 600 && !seen.has(studyInstanceUid); i++) await new Promise((r) => setTimeout(r, 100));
    const env = seen.get(studyInstanceUid);
    if (!env) throw new Error(`no inference.completed for ${studyInstanceUid} on ${EVENTS.inferenceCompleted.topic} within 60 s`);
    return env.payload.runs.find((r) => r.modelId === 'head-ct-hyperdensity')!;
  };

  it('gives the two studies different results, and the positive one a heatmap that resolves to a PNG', async () => {
    const bleed = generateHeadCtStudy({ haemorrhage: true, seed: 41, patient: E2E_PATIENT });
    const normal = generateHeadCtStudy({ haemorrhage: false, seed: 42, patient: E2E_PATIENT });
    await client.stow(bleed.files);
    await client.stow(normal.files);

    for (const [study, priority, firstRule, positiveLabels] of [
      [bleed, 'critical', 'critical-ai-finding', ['Acute intracranial hemorrhage']],
      [normal, 'routine', 'fallback', []],
    ] as const) {
      const lineage = await client.waitForCompleteLineage(study.studyInstanceUid, 120_000);
      await expectReportedFlow(client, lineage, {
        studyInstanceUid: study.studyInstanceUid,
        instances: 12,
        priority,
        firstRule,
        reportId: preliminaryReportId(study.studyInstanceUid),
        positiveLabels: [...positiveLabels],
        patientId: E2E_PATIENT.id,
      });
    }

    const positive = (await completed(bleed.studyInstanceUid)).findings[0];
    const negative = (await completed(normal.studyInstanceUid)).findings[0];
    expect(positive).toMatchObject({ label: 'intracranial-hemorrhage', positive: true, critical: true });
    expect(negative).toMatchObject({ label: 'intracranial-hemorrhage', positive: false });
    expect(negative.heatmap).toBeUndefined();

    const heatmap = positive.heatmap!;
    expect(heatmap.url.startsWith(`${mesh.url}/inference/heatmaps/`)).toBe(true);
    const res = await fetch(heatmap.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    const png = PNG.sync.read(Buffer.from(await res.arrayBuffer()));
    expect([png.width, png.height]).toEqual([256, 256]);
    // Bright over the haematoma, dark over normal brain.
    const { x, y } = HEAD_CT_PHANTOM.haemorrhage;
    expect(png.data[(y * 256 + x) * 4]).toBe(255);
    expect(png.data[(60 * 256 + 128) * 4]).toBe(0);
  });

  it('reads the same study compressed by dcmtk (JPEG lossless, RLE) to the same positive finding', async () => {
    for (const [seed, tool, args, ts] of [
      [43, 'dcmcjpeg', ['+e1'], '1.2.840.10008.1.2.4.70'],
      [44, 'dcmcrle', [], '1.2.840.10008.1.2.5'],
    ] as const) {
      const study = generateHeadCtStudy({ haemorrhage: true, seed, patient: E2E_PATIENT });
      const files = study.files.map((file, i) => {
        const src = join(dataDir, `src-${seed}-${i}.dcm`);
        const out = join(dataDir, `cmp-${seed}-${i}.dcm`);
        writeFileSync(src, file);
        execFileSync(tool, [...args, src, out], { env: { ...process.env, TCP_NODELAY: '1' } });
        return readFileSync(out);
      });
      expect(files.map((f) => readTransferSyntax(f))).toEqual(files.map(() => ts));
      await client.stow(files);
      await client.waitForCompleteLineage(study.studyInstanceUid, 120_000);
      const run = await completed(study.studyInstanceUid);
      expect(run).toMatchObject({ status: 'succeeded', mode: 'active' });
      expect(run.findings[0]).toMatchObject({ positive: true, critical: true });
    }
  });

  it('wrote no patient data to its logs', () => {
    expect(mesh.output.length).toBeGreaterThan(10);
    expect(phiLeaks(mesh.output)).toEqual([]);
  });
});
