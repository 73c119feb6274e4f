import { canaryBucket } from '@triage/inference-domain';
import { generateHeadCtStudy } from '@triage/samples';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inferenceHarness, type InferenceHarness } from './model-fixture.spec-helper';
import { studyEnvelope } from './study-fixture.spec-helper';

// Each file builds the reference models once and loads them; on a busy 2-core machine that outlasts 5 s.
jest.setTimeout(60_000);

const CT = '1.2.840.10008.5.1.4.1.1.2';

/** Per-site mode and canary share, changed in the manifest while the service runs (no restart). */
describe('InferenceService: roll-out per model and site at runtime', () => {
  let h: InferenceHarness;
  const bleed = generateHeadCtStudy({ haemorrhage: true, slices: 8 }).files;

  beforeAll(async () => {
    h = await inferenceHarness();
  });
  afterAll(() => h.stop());

  async function setRollout(rollout: unknown, mode = 'active'): Promise<void> {
    const path = join(h.fixture.options.manifestsDir, 'head-ct-hyperdensity.json');
    writeFileSync(path, JSON.stringify({ ...(JSON.parse(readFileSync(path, 'utf8')) as object), mode, rollout }));
    await h.registry.reload();
  }
  /** The head model's run for a haemorrhage study at `site`, whose UID falls in canary bucket `bucket`. */
  async function headRun(site: string | undefined, bucket?: (b: number) => boolean) {
    const make = () => studyEnvelope(h.source, [{ modality: 'CT', bodyPart: 'HEAD', sopClassUid: CT, files: bleed }]);
    let env = make();
    while (bucket && !bucket(canaryBucket(env.payload.study.studyInstanceUid))) env = make();
    env.payload.study.context.site = site;
    const out = await h.service.runStudy(env.payload);
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
    expect(h.registry.list().find((m) => m.manifest.id === 'head-ct-hyperdensity')?.status).toBe('ready');
    expect(await headRun('SITE-ON')).toMatchObject({ mode: 'active', status: 'succeeded' });
    expect(await headRun('SITE-ELSEWHERE')).toBeUndefined();
  });
});
