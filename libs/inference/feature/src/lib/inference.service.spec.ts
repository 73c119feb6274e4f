import { derivedEventId, EVENTS, InferenceCompletedV1 } from '@triage/contracts';
import { chestXrayVariant } from '@triage/inference-domain';
import { HealthRegistry } from '@triage/nest-platform';
import { generateChestXrayStudy, generateHeadCtStudy } from '@triage/samples';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InferenceException } from './inference.exception';
import { InferenceService } from './inference.service';
import { capturingLogger, modelFixture, RecordingPublisher, testHeatmaps } from './model-fixture.spec-helper';
import { ModelRegistry } from './model-registry.service';
import { MemorySource, studyEnvelope, type SeriesSpec } from './study-fixture.spec-helper';

const CT = '1.2.840.10008.5.1.4.1.1.2';
const DX = '1.2.840.10008.5.1.4.1.1.1.1';

/** A head CT slice transcoded to JPEG 2000 Lossless by dcmjs-codecs: a syntax the pipeline refuses. */
function jpeg2000Slice(): Buffer {
  const { Transcoder, constants } = require('dcmjs-codecs') as typeof import('dcmjs-codecs');
  const [file] = generateHeadCtStudy({ haemorrhage: false, slices: 1 }).files;
  const t = new Transcoder(file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength) as ArrayBuffer);
  t.transcode(constants.TransferSyntax.Jpeg2000Lossless);
  return Buffer.from(t.getDicomPart10());
}

const headSeries = (haemorrhage: boolean): SeriesSpec => ({
  modality: 'CT',
  bodyPart: 'HEAD',
  sopClassUid: CT,
  // Reversed so that slice order has to come from the geometry, not from the event.
  files: generateHeadCtStudy({ haemorrhage }).files.reverse(),
});

describe('InferenceService', () => {
  let fixture: ReturnType<typeof modelFixture>;
  let registry: ModelRegistry;
  let service: InferenceService;
  let publisher: RecordingPublisher;
  let source: MemorySource;
  let lines: string[];

  beforeEach(async () => {
    fixture = modelFixture();
    const captured = capturingLogger();
    lines = captured.lines;
    registry = new ModelRegistry(fixture.options, captured.logger, new HealthRegistry());
    await registry.onModuleInit();
    publisher = new RecordingPublisher();
    source = new MemorySource();
    service = new InferenceService(registry, source, publisher.asPublisher(), fixture.options, captured.logger, testHeatmaps(fixture.options));
  });
  afterEach(async () => {
    await registry.onModuleDestroy();
    fixture.cleanup();
  });

  it('scores the haemorrhage phantom positive and critical, publishing inference.completed for the study', async () => {
    const env = studyEnvelope(source, [headSeries(true)]);
    const out = await service.handleStudyReceived(env);
    expect(InferenceCompletedV1.parse(out.payload)).toBeTruthy();
    expect(out.type).toBe('inference.completed');
    expect(out.subject).toBe(env.payload.study.studyInstanceUid);
    expect(out.traceId).toBe(env.traceId);
    expect(out.payload.study).toEqual(env.payload.study);
    expect(out.payload.runs).toHaveLength(1);
    const [run] = out.payload.runs;
    const manifest = JSON.parse(readFileSync(join(fixture.options.manifestsDir, 'head-ct-hyperdensity.json'), 'utf8')) as { sha256: string };
    expect(run).toMatchObject({ modelId: 'head-ct-hyperdensity', modelVersion: '1.1.0', modelSha256: manifest.sha256, mode: 'active', status: 'succeeded' });
    expect(run.latencyMs).toBeGreaterThan(0);
    expect(run.findings).toHaveLength(1);
    expect(run.findings[0]).toMatchObject({ label: 'intracranial-hemorrhage', positive: true, critical: true, threshold: 0.5 });
    expect(run.findings[0].probability).toBeGreaterThan(0.95);
    expect(run.findings[0].code).toEqual({ system: 'http://radelement.org', code: 'RDES194', display: 'Acute intracranial hemorrhage' });
    expect(source.calls).toBe(12);
  });

  it('scores the normal head phantom negative', async () => {
    const out = await service.runStudy(studyEnvelope(source, [headSeries(false)]).payload);
    expect(out.runs[0].status).toBe('succeeded');
    expect(out.runs[0].findings[0].positive).toBe(false);
    expect(out.runs[0].findings[0].probability).toBeLessThan(0.05);
  });

  it('gives a redelivered input the same output event id, and a different input a different one', async () => {
    const env = studyEnvelope(source, [headSeries(false)]);
    const first = await service.handleStudyReceived(env);
    const again = await service.handleStudyReceived(env);
    const other = await service.handleStudyReceived({ ...env, eventId: randomUUID() });
    expect(again.eventId).toBe(first.eventId);
    expect(other.eventId).not.toBe(first.eventId);
  });

  it('runs the chest model in shadow mode: phantom negative, phantom with consolidation positive', async () => {
    const normal = await service.runStudy(
      studyEnvelope(source, [{ modality: 'DX', bodyPart: 'CHEST', sopClassUid: DX, files: generateChestXrayStudy().files }]).payload,
    );
    const cxr = (runs: typeof normal.runs) => runs.find((r) => r.modelId === 'cxr-reference')!;
    expect(normal.runs.map((r) => r.modelId).sort()).toEqual(['cxr-reference', 'cxr18-convention-reference']);
    expect(cxr(normal.runs)).toMatchObject({ modelId: 'cxr-reference', mode: 'shadow', status: 'succeeded' });
    expect(cxr(normal.runs).findings[0]).toMatchObject({ label: 'lung-consolidation', positive: false });
    const opaque = await service.runStudy(
      studyEnvelope(source, [{ modality: 'DX', bodyPart: 'CHEST', sopClassUid: DX, files: [chestXrayVariant({ opacity: true, photometric: 'MONOCHROME1' })] }]).payload,
    );
    expect(cxr(opaque.runs).findings[0].positive).toBe(true);
  });

  it('reports an unsupported transfer syntax as a failed run naming the UID, and publishes', async () => {
    const env = studyEnvelope(source, [
      { modality: 'CT', bodyPart: 'HEAD', sopClassUid: CT, files: [jpeg2000Slice()], transferSyntaxUid: '1.2.840.10008.1.2.4.90' },
    ]);
    const out = await service.handleStudyReceived(env);
    expect(out.payload.runs).toHaveLength(1);
    expect(out.payload.runs[0]).toMatchObject({ modelId: 'head-ct-hyperdensity', status: 'failed', findings: [] });
    expect(out.payload.runs[0].error).toMatch(/UnsupportedTransferSyntaxError: .*1\.2\.840\.10008\.1\.2\.4\.90/);
    expect(publisher.published).toHaveLength(1);
  });

  it('publishes no runs for a study no model applies to', async () => {
    const out = await service.runStudy(studyEnvelope(source, [{ ...headSeries(false), modality: 'MR' }]).payload);
    expect(out.runs).toEqual([]);
    expect(source.calls).toBe(0);
  });

  it('throws (for the transport to retry) when the DICOMweb peer is unreachable', async () => {
    source.failWith = new InferenceException('RETRIEVE_UNAVAILABLE', 'no HTTP response', true);
    await expect(service.handleStudyReceived(studyEnvelope(source, [headSeries(true)]))).rejects.toMatchObject({ retryable: true });
    expect(publisher.published).toHaveLength(0);
  });

  it('on the last delivery attempt, publishes the study with a failed run per applicable model instead of failing', async () => {
    source.failWith = new InferenceException('RETRIEVE_UNAVAILABLE', 'no HTTP response', true);
    const env = studyEnvelope(source, [headSeries(true)]);
    const out = await service.handleStudyReceived(env, { finalAttempt: true });
    expect(InferenceCompletedV1.parse(out.payload)).toBeTruthy();
    expect(publisher.published).toHaveLength(1);
    const runs = out.payload.runs;
    expect(runs.map((r) => [r.modelId, r.status, r.findings.length])).toEqual([['head-ct-hyperdensity', 'failed', 0]]);
    expect(runs[0].error).toContain('no HTTP response');
    // The same output event id as a successful run would have had: a later redelivery is de-duplicated.
    expect(out.eventId).toBe(derivedEventId(env.eventId, EVENTS.inferenceCompleted.type));
  });

  it('reports a refused model as a failed run', async () => {
    const head = registry.list().find((m) => m.manifest.id === 'head-ct-hyperdensity')!;
    Object.assign(head, { status: 'refused', reason: 'sha256 differs' });
    const out = await service.runStudy(studyEnvelope(source, [headSeries(true)]).payload);
    expect(out.runs[0]).toMatchObject({ status: 'failed' });
    expect(out.runs[0].error).toMatch(/not loaded: sha256 differs/);
  });

  it('never writes patient data to the log', async () => {
    await service.handleStudyReceived(studyEnvelope(source, [headSeries(true)]));
    await service.runStudy(studyEnvelope(source, [{ modality: 'CT', bodyPart: 'HEAD', sopClassUid: CT, files: [jpeg2000Slice()] }]).payload);
    const log = lines.join('');
    expect(log).toContain('model run succeeded');
    for (const phi of ['DEMO^HEAD', 'DEMO-0001', '1958', 'ACC0001']) expect(log).not.toContain(phi);
  });
});
