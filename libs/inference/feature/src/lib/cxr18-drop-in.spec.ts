import { decodeDicomImage, parseModelManifest, preprocessFrame, type ModelManifest } from '@triage/inference-domain';
import { HealthRegistry } from '@triage/nest-platform';
import { generateChestXrayStudy } from '@triage/samples';
import { describeWithSharedData, sharedDataDir } from '@triage/testing';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InferenceService } from './inference.service';
import { capturingLogger, modelFixture, RecordingPublisher, testHeatmaps } from './model-fixture.spec-helper';
import { ModelRegistry } from './model-registry.service';
import { MemorySource, studyEnvelope } from './study-fixture.spec-helper';

// The drop-in proof: a model with the conventions of public chest X-ray classifiers runs through the
// unchanged pipeline; everything model-specific lives in its manifest.
const DX = '1.2.840.10008.5.1.4.1.1.1.1';
const ID = 'cxr18-convention-reference';

describe('public chest X-ray classifier conventions, by manifest alone', () => {
  let fixture: ReturnType<typeof modelFixture>;
  let registry: ModelRegistry;
  let service: InferenceService;
  let source: MemorySource;
  let manifest: ModelManifest;

  beforeEach(async () => {
    fixture = modelFixture();
    const { logger } = capturingLogger();
    registry = new ModelRegistry(fixture.options, logger, new HealthRegistry());
    await registry.onModuleInit();
    source = new MemorySource();
    service = new InferenceService(registry, source, new RecordingPublisher().asPublisher(), fixture.options, logger, testHeatmaps(fixture.options));
    manifest = parseModelManifest(JSON.parse(readFileSync(join(fixture.options.manifestsDir, `${ID}.json`), 'utf8')));
  });
  afterEach(async () => {
    await registry.onModuleDestroy();
    fixture.cleanup();
  });

  async function runChest(file: Uint8Array, transferSyntaxUid?: string) {
    const out = await service.runStudy(studyEnvelope(source, [{ modality: 'DX', bodyPart: 'CHEST', sopClassUid: DX, files: [file], transferSyntaxUid }]).payload);
    const run = out.runs.find((r) => r.modelId === ID);
    if (!run) throw new Error(`${ID} did not run`);
    return run;
  }

  function expect18Findings(run: Awaited<ReturnType<typeof runChest>>): void {
    expect(run).toMatchObject({ modelVersion: '1.0.0', modelSha256: manifest.sha256, mode: 'shadow', status: 'succeeded' });
    // Quality findings (kind quality) come after the model's own.
    const findings = run.findings.filter((f) => f.kind === 'finding');
    expect(findings).toHaveLength(18);
    expect(findings.map((f) => f.label)).toEqual(manifest.output.labels.map((l) => l.label));
    for (const f of findings) {
      expect(f.threshold).toBe(0.5);
      expect(f.probability).toBeGreaterThan(0);
      expect(f.probability).toBeLessThan(1);
      expect(f.positive).toBe(f.probability >= f.threshold);
      expect(f.critical).toBe(false);
    }
  }

  it('has a manifest that declares the convention, shadow mode and the reference-model disclaimer', () => {
    expect(manifest.input.shape).toEqual([1, 1, 224, 224]);
    expect(manifest.preprocessing.normalise).toEqual({ min: -1024, max: 1024 });
    expect(manifest.output).toMatchObject({ activation: 'sigmoid' });
    expect(manifest.output.labels).toHaveLength(18);
    expect(manifest.mode).toBe('shadow');
    expect(manifest.description).toMatch(/NOT FOR CLINICAL USE/);
    expect(manifest.intendedUse).toMatch(/not for clinical use/i);
    const systems = new Set(manifest.output.labels.map((l) => l.code.system));
    expect([...systems].sort()).toEqual(['http://snomed.info/sct', 'urn:triage-mesh:cxr-label']);
  });

  it('is loaded by the registry with its sha256 checked', () => {
    const model = registry.list().find((m) => m.manifest.id === ID);
    expect(model?.status).toBe('ready');
  });

  it('feeds the model planes scaled to [-1024, 1024]', () => {
    const image = decodeDicomImage(generateChestXrayStudy().files[0]);
    const plane = preprocessFrame(image, 0, manifest.preprocessing);
    expect(plane).toHaveLength(224 * 224);
    const unit = preprocessFrame(image, 0, { ...manifest.preprocessing, normalise: { min: 0, max: 1 } });
    // The same windowed plane, mapped linearly from [0, 1] onto [-1024, 1024].
    for (let i = 0; i < plane.length; i += 97) expect(plane[i]).toBeCloseTo(-1024 + 2048 * unit[i], 2);
    expect(Math.min(...plane)).toBeGreaterThanOrEqual(-1024);
    expect(Math.max(...plane)).toBeLessThanOrEqual(1024);
    expect(Math.max(...plane) - Math.min(...plane)).toBeGreaterThan(1024);
  });

  it('gives 18 findings with thresholds on the chest X-ray phantom', async () => {
    const run = await runChest(generateChestXrayStudy().files[0]);
    expect18Findings(run);
    expect(run.findings).toHaveLength(18);
  });

  describeWithSharedData('on the real NIH chest radiograph', () => {
    it('gives 18 findings with thresholds on cxr_nih_1024.dcm', async () => {
      const real = readFileSync(join(sharedDataDir(), 'dicom', 'cxr_nih_1024.dcm'));
      const run = await runChest(real, '1.2.840.10008.1.2');
      expect18Findings(run);
      // The NIH export carries no PixelSpacing/ImagerPixelSpacing: reported as a quality finding.
      expect(run.findings.filter((f) => f.kind === 'quality').map((f) => f.label)).toEqual(['pixel-spacing-missing']);
      const phantom = await runChest(generateChestXrayStudy().files[0]);
      // Different images give different outputs: the model reads the pixels.
      expect(run.findings.map((f) => f.probability)).not.toEqual(phantom.findings.map((f) => f.probability));
    });
  });
});
