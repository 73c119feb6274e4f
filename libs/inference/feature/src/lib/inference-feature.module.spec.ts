import { createEnvelope, decodeEnvelope, encodeEnvelope, EVENTS, type StudyReceived } from '@triage/contracts';
import { bootstrapMesh, type RunningMesh } from '@triage/nest-platform';
import { generateHeadCtStudy, newUuidUid } from '@triage/samples';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PNG } from 'pngjs';
import { InferenceFeatureModule } from './inference-feature.module';
import { modelFixture } from './model-fixture.spec-helper';

/** The wired module end to end: study.received on the embedded bus → WADO-RS over HTTP → inference.completed. */
describe('InferenceFeatureModule in an embedded mesh', () => {
  const fixture = modelFixture();
  const files = new Map<string, Buffer>();
  let wado: Server;
  let mesh: RunningMesh;
  const saved = { ...process.env };

  beforeAll(async () => {
    wado = createServer((req, res) => {
      const sop = req.url?.split('/instances/')[1];
      const file = sop ? files.get(sop) : undefined;
      if (!file) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'multipart/related; type="application/dicom"; boundary=xyz' });
      res.end(Buffer.concat([Buffer.from('--xyz\r\nContent-Type: application/dicom\r\n\r\n'), file, Buffer.from('\r\n--xyz--\r\n')]));
    });
    await new Promise<void>((resolve) => wado.listen(0, '127.0.0.1', () => resolve()));
    process.env.MODELS_MANIFESTS_DIR = fixture.options.manifestsDir;
    process.env.INFERENCE_THREADS = '1';
    mesh = await bootstrapMesh({
      services: ['inference'],
      modules: () => [InferenceFeatureModule],
      defaultPort: 0,
      env: { MESH_MODE: 'embedded', LOG_LEVEL: 'silent', HTTP_PORT: '0', MODELS_DIR: fixture.options.modelsDir, DATA_DIR: fixture.dir, CONSUMER_MAX_ATTEMPTS: '3', CONSUMER_RETRY_BASE_MS: '10' },
    });
  });

  afterAll(async () => {
    await mesh?.close();
    await new Promise<void>((resolve) => wado.close(() => resolve()));
    process.env = saved;
    fixture.cleanup();
  });

  it('reports ready with the models loaded, then answers a haemorrhage study with a critical finding', async () => {
    const ready = await fetch(`${mesh.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { checks: Record<string, unknown> }).checks).toHaveProperty('models');

    const study = generateHeadCtStudy({ haemorrhage: true, slices: 12 });
    const series = newUuidUid();
    const instances = study.files.map((file, i) => {
      const sop = newUuidUid();
      files.set(sop, file);
      const sha256 = createHash('sha256').update(file).digest('hex');
      return { sopInstanceUid: sop, sopClassUid: '1.2.840.10008.5.1.4.1.1.2', transferSyntaxUid: '1.2.840.10008.1.2.1', instanceNumber: i + 1, sizeBytes: file.length, sha256 };
    });
    const port = (wado.address() as AddressInfo).port;
    const payload: StudyReceived = {
      study: {
        studyInstanceUid: study.studyInstanceUid,
        modalities: ['CT'],
        bodyPart: 'HEAD',
        patient: {},
        context: { patientClass: 'emergency', orderPriority: 'stat' },
        receivedAt: new Date().toISOString(),
      },
      series: [{ seriesInstanceUid: series, modality: 'CT', bodyPart: 'HEAD', instances }],
      instanceCount: instances.length,
      origin: { protocol: 'stow-rs' },
      retrieveUrl: `http://127.0.0.1:${port}/dicomweb/studies/${study.studyInstanceUid}`,
    };
    const received: Buffer[] = [];
    await mesh.bus.subscribe({
      groupId: 'test-observer',
      topics: [EVENTS.inferenceCompleted.topic],
      handler: async (msg) => {
        if (msg.value) received.push(msg.value);
      },
    });
    const input = createEnvelope(EVENTS.studyReceived, payload, { source: 'ingest', subject: study.studyInstanceUid, trace: { traceId: 'a'.repeat(32) } });
    await mesh.bus.publish(EVENTS.studyReceived.topic, [encodeEnvelope(input)]);
    for (let i = 0; i < 200 && received.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(received).toHaveLength(1);
    const out = decodeEnvelope(EVENTS.inferenceCompleted, received[0]);
    expect(out.traceId).toBe(input.traceId);
    expect(out.payload.runs[0]).toMatchObject({ modelId: 'head-ct-hyperdensity', status: 'succeeded', mode: 'active' });
    expect(out.payload.runs[0].findings[0]).toMatchObject({ positive: true, critical: true });

    // The heatmap reference resolves, over the service's own HTTP, to a PNG of the model's input size.
    const heatmap = out.payload.runs[0].findings[0].heatmap!;
    expect(heatmap.url.startsWith(`${mesh.url}/inference/heatmaps/`)).toBe(true);
    expect(instances.map((i) => i.sopInstanceUid)).toContain(heatmap.sopInstanceUid);
    const res = await fetch(heatmap.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    const png = PNG.sync.read(Buffer.from(await res.arrayBuffer()));
    expect([png.width, png.height]).toEqual([256, 256]);
  });

  it('when the pixels stay unreachable through the last delivery attempt, still hands the study on, with a failed run', async () => {
    // A port nothing listens on: every WADO-RS fetch fails at once, a retryable failure.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', () => resolve()));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const study = generateHeadCtStudy({ haemorrhage: true, slices: 12 });
    const instances = study.files.map((file, i) => ({
      sopInstanceUid: newUuidUid(), sopClassUid: '1.2.840.10008.5.1.4.1.1.2', transferSyntaxUid: '1.2.840.10008.1.2.1', instanceNumber: i + 1, sizeBytes: file.length, sha256: createHash('sha256').update(file).digest('hex'),
    }));
    const payload: StudyReceived = {
      study: { studyInstanceUid: study.studyInstanceUid, modalities: ['CT'], bodyPart: 'HEAD', patient: {}, context: { patientClass: 'emergency', orderPriority: 'stat' }, receivedAt: new Date().toISOString() },
      series: [{ seriesInstanceUid: newUuidUid(), modality: 'CT', bodyPart: 'HEAD', instances }],
      instanceCount: instances.length,
      origin: { protocol: 'stow-rs' },
      retrieveUrl: `http://127.0.0.1:${port}/dicomweb/studies/${study.studyInstanceUid}`,
    };
    const completed: Buffer[] = [];
    const dead: Buffer[] = [];
    await mesh.bus.subscribe({ groupId: 'test-observer-unreachable', topics: [EVENTS.inferenceCompleted.topic], handler: async (m) => void (m.value && completed.push(m.value)) });
    await mesh.bus.subscribe({ groupId: 'test-dlq-unreachable', topics: [`${EVENTS.studyReceived.topic}.dlq`], handler: async (m) => void (m.value && dead.push(m.value)) });
    const input = createEnvelope(EVENTS.studyReceived, payload, { source: 'ingest', subject: study.studyInstanceUid, trace: { traceId: 'b'.repeat(32) } });
    await mesh.bus.publish(EVENTS.studyReceived.topic, [encodeEnvelope(input)]);
    const mine = () => completed.map((b) => decodeEnvelope(EVENTS.inferenceCompleted, b)).filter((e) => e.subject === study.studyInstanceUid);
    for (let i = 0; i < 200 && mine().length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    const [out] = mine();
    expect(out.payload.runs.map((r) => [r.modelId, r.status])).toEqual([['head-ct-hyperdensity', 'failed']]);
    expect(out.payload.runs[0].error).toContain('last delivery attempt');
    expect(dead).toHaveLength(0);
  });

  it('answers 404 for an unknown or malformed heatmap name', async () => {
    expect((await fetch(`${mesh.url}/inference/heatmaps/${'0'.repeat(64)}.png`)).status).toBe(404);
    expect((await fetch(`${mesh.url}/inference/heatmaps/..%2F..%2Fetc%2Fpasswd`)).status).toBe(404);
  });
});
