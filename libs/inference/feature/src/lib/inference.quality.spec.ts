import { InferenceCompletedV1 } from '@triage/contracts';
import { chestXrayVariant } from '@triage/inference-domain';
import { HealthRegistry } from '@triage/nest-platform';
import { generateHeadCtStudy } from '@triage/samples';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InferenceService } from './inference.service';
import { capturingLogger, modelFixture, RecordingPublisher, testHeatmaps } from './model-fixture.spec-helper';
import { ModelRegistry } from './model-registry.service';
import { MemorySource, studyEnvelope } from './study-fixture.spec-helper';

const CT = '1.2.840.10008.5.1.4.1.1.2';
const DX = '1.2.840.10008.5.1.4.1.1.1.1';

describe('InferenceService: image quality findings in the run result', () => {
  let fixture: ReturnType<typeof modelFixture>;
  let registry: ModelRegistry;
  let service: InferenceService;
  let source: MemorySource;

  async function start(): Promise<void> {
    const { logger } = capturingLogger();
    registry = new ModelRegistry(fixture.options, logger, new HealthRegistry());
    await registry.onModuleInit();
    source = new MemorySource();
    service = new InferenceService(registry, source, new RecordingPublisher().asPublisher(), fixture.options, logger, testHeatmaps(fixture.options));
  }
  beforeEach(() => {
    fixture = modelFixture();
  });
  afterEach(async () => {
    await registry.onModuleDestroy();
    fixture.cleanup();
  });

  const chest = async (file: Buffer) => {
    const env = studyEnvelope(source, [{ modality: 'DX', bodyPart: 'CHEST', sopClassUid: DX, files: [file] }]);
    const out = InferenceCompletedV1.parse((await service.handleStudyReceived(env)).payload);
    return out.runs.find((r) => r.modelId === 'cxr-reference')!;
  };
  const quality = (run: { findings: { kind: string; label: string; critical: boolean }[] }) => run.findings.filter((f) => f.kind === 'quality');

  it('adds no quality finding to a good image, and keeps the model findings first', async () => {
    await start();
    const run = await chest(chestXrayVariant());
    expect(run.status).toBe('succeeded');
    expect(run.findings.map((f) => [f.kind, f.label])).toEqual([['finding', 'lung-consolidation']]);
  });

  it('reports a blank exposure, a saturated one and missing pixel spacing, never critical', async () => {
    await start();
    const blank = await chest(chestXrayVariant({ exposure: 'blank' }));
    expect(quality(blank).map((f) => f.label)).toEqual(['exposure-nearly-blank']);
    const saturated = await chest(chestXrayVariant({ exposure: 'saturated', pixelSpacing: false }));
    expect(quality(saturated).map((f) => f.label)).toEqual(['exposure-saturated', 'pixel-spacing-missing']);
    for (const f of [...quality(blank), ...quality(saturated)]) expect(f).toMatchObject({ positive: true, critical: false });
    expect(saturated.findings[0]).toMatchObject({ kind: 'finding', label: 'lung-consolidation' });
  });

  it('reports a series shorter than the manifest minimum as not run, with a series-incomplete finding', async () => {
    const path = join(fixture.options.manifestsDir, 'head-ct-hyperdensity.json');
    const m = JSON.parse(readFileSync(path, 'utf8')) as { applicability: { minInstances: number } };
    m.applicability.minInstances = 20;
    writeFileSync(path, JSON.stringify(m));
    await start();
    const env = studyEnvelope(source, [{ modality: 'CT', bodyPart: 'HEAD', sopClassUid: CT, files: generateHeadCtStudy({ haemorrhage: true }).files }]);
    const out = InferenceCompletedV1.parse((await service.handleStudyReceived(env)).payload);
    expect(out.runs).toHaveLength(1);
    expect(out.runs[0]).toMatchObject({ modelId: 'head-ct-hyperdensity', status: 'failed', latencyMs: 0 });
    expect(out.runs[0].error).toMatch(/12 instances.*at least 20/);
    expect(out.runs[0].findings).toEqual([expect.objectContaining({ kind: 'quality', label: 'series-incomplete', positive: true, critical: false })]);
    expect(source.calls).toBe(0);
  });

  it('reports head images sent for a chest order as body-part-mismatch beside the model findings', async () => {
    await start();
    const env = studyEnvelope(source, [{ modality: 'CT', bodyPart: 'HEAD', sopClassUid: CT, files: generateHeadCtStudy({ haemorrhage: false, slices: 3 }).files }]);
    env.payload.study.studyDescription = 'CT CHEST WITH CONTRAST';
    const out = InferenceCompletedV1.parse((await service.handleStudyReceived(env)).payload);
    expect(quality(out.runs[0]).map((f) => f.label)).toEqual(['body-part-mismatch']);
    env.payload.study.studyDescription = 'CT HEAD WO CONTRAST';
    expect(quality((await service.runStudy(env.payload)).runs[0])).toEqual([]);
  });

  it('does not run a model on a view its manifest does not list (a lateral for the PA/AP chest model)', async () => {
    await start();
    const env = studyEnvelope(source, [{ modality: 'DX', bodyPart: 'CHEST', sopClassUid: DX, files: [chestXrayVariant({ viewPosition: 'LL' })] }]);
    const out = await service.runStudy(env.payload);
    expect(out.runs.map((r) => r.modelId)).toEqual(['cxr18-convention-reference']);
  });
});
