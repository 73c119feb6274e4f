import { canaryBucket } from '@triage/inference-domain';
import { HealthRegistry } from '@triage/nest-platform';
import { generateHeadCtStudy } from '@triage/samples';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InferenceService } from './inference.service';
import { capturingLogger, modelFixture, RecordingPublisher } from './model-fixture.spec-helper';
import { ModelRegistry } from './model-registry.service';
import { MemorySource, studyEnvelope } from './study-fixture.spec-helper';

const CT = '1.2.840.10008.5.1.4.1.1.2';

/** Per-site mode and canary share, changed in the manifest while the service runs (no restart). */
describe('InferenceService: roll-out per model and site at runtime', () => {
  let fixture: ReturnType<typeof modelFixture>;
  let registry: ModelRegistry;
  let service: InferenceService;
  let source: MemorySource;
  const bleed = generateHeadCtStudy({ haemorrhage: true, slices: 8 }).files;

  beforeAll(async () => {
    fixture = modelFixture();
    const { logger } = capturingLogger();
    registry = new ModelRegistry(fixture.options, logger, new HealthRegistry());
    await registry.onModuleInit();
    source = new MemorySource();
    service = new InferenceService(registry, source, new RecordingPublisher().asPublisher(), fixture.options, logger);
  });
  afterAll(async () => {
    await registry.onModuleDestroy();
    fixture.cleanup();
  });

  async function setRollout(rollout: unknown, mode = 'active'): Promise<void> {
    const path = join(fixture.options.manifestsDir, 'head-ct-hyperdensity.json');
    writeFileSync(path, JSON.stringify({ ...(JSON.parse(readFileSync(path, 'utf8')) as object), mode, rollout }));
    await registry.reload();
  }
  /** The head model's run for a haemorrhage study at `site`, whose UID falls in canary bucket `bucket`. */
  async function headRun(site: string | undefined, bucket?: (b: number) => boolean) {
    const make = () => studyEnvelope(source, [{ modality: 'CT', bodyPart: 'HEAD', sopClassUid: CT, files: bleed }]);
    let env = make();
    while (bucket && !bucket(canaryBucket(env.payload.study.studyInstanceUid))) env = make();
    env.payload.study.context.site = site;
    const out = await service.runStudy(env.payload);
    return out.runs.find((r) => r.modelId === 'head-ct-hyperdensity');
  }

  it('runs in shadow at a site set to shadow: the positive finding is still recorded, marked shadow', async () => {
    await setRollout({ sites: { 'SITE-S': { mode: 'shadow' } } });
    const shadow = await headRun('SITE-S');
    expect(shadow).toMatchObject({ mode: 'shadow', status: 'succeeded' });
    expect(shadow!.findings[0]).toMatchObject({ positive: true, critical: true });
    expect(await headRun('SITE-OTHER')).toMatchObject({ mode: 'active', status: 'succeeded' });
  });

  it('does not run at a site set to off (no run in the result at all)', async () => {
    await setRollout({ siteModes: { 'SITE-OFF': 'off' } });
    expect(await headRun('SITE-OFF')).toBeUndefined();
    expect(await headRun(undefined)).toMatchObject({ mode: 'active' });
  });

  it('splits by the canary share: inside it active, outside it shadow; a site can have its own share', async () => {
    await setRollout({ canaryPercent: 25, sites: { 'SITE-ALL': { canaryPercent: 100 } } });
    expect(await headRun(undefined, (b) => b < 25)).toMatchObject({ mode: 'active' });
    expect(await headRun(undefined, (b) => b >= 25)).toMatchObject({ mode: 'shadow' });
    expect(await headRun('SITE-ALL', (b) => b >= 25)).toMatchObject({ mode: 'active' });
  });

  it('loads and runs a model that is off by default at the one site that turns it on', async () => {
    await setRollout({ sites: { 'SITE-ON': { mode: 'active' } } }, 'off');
    expect(registry.list().find((m) => m.manifest.id === 'head-ct-hyperdensity')?.status).toBe('ready');
    expect(await headRun('SITE-ON')).toMatchObject({ mode: 'active', status: 'succeeded' });
    expect(await headRun('SITE-ELSEWHERE')).toBeUndefined();
  });
});
