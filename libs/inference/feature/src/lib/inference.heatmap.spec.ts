import { HEAD_CT_PHANTOM, generateChestXrayStudy, generateHeadCtStudy } from '@triage/samples';
import { readdirSync, readFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { HeatmapStore } from './heatmap.repository';
import { inferenceHarness, type InferenceHarness } from './model-fixture.spec-helper';
import { studyEnvelope } from './study-fixture.spec-helper';

// Each file builds the reference models once and loads them; on a busy 2-core machine that outlasts 5 s.
jest.setTimeout(60_000);

const CT = '1.2.840.10008.5.1.4.1.1.2';
const DX = '1.2.840.10008.5.1.4.1.1.1.1';

describe('InferenceService: heatmaps and measurements in the result', () => {
  let h: InferenceHarness;
  beforeAll(async () => {
    h = await inferenceHarness();
  });
  afterAll(() => h.stop());

  const headRun = async (haemorrhage: boolean) => {
    const env = studyEnvelope(h.source, [{ modality: 'CT', bodyPart: 'HEAD', sopClassUid: CT, files: generateHeadCtStudy({ haemorrhage, slices: 10 }).files }]);
    const out = await h.service.runStudy(env.payload);
    return { env, run: out.runs.find((r) => r.modelId === 'head-ct-hyperdensity')! };
  };

  it('stores the heatmap of a positive finding as a PNG bright where the haematoma is, and references it', async () => {
    const { env, run } = await headRun(true);
    const finding = run.findings.find((f) => f.label === 'intracranial-hemorrhage')!;
    expect(finding.positive).toBe(true);
    const id = HeatmapStore.idFor(env.payload.study.studyInstanceUid, 'head-ct-hyperdensity', '1.1.0', 'intracranial-hemorrhage');
    expect(finding.heatmap).toEqual({ url: `http://127.0.0.1:8081/inference/heatmaps/${id}.png`, sopInstanceUid: expect.any(String), frame: 0 });
    // The highest-scoring slice is one of those with the haematoma (slices 4-9, 1-based).
    const slice = env.payload.series[0].instances.findIndex((i) => i.sopInstanceUid === finding.heatmap!.sopInstanceUid) + 1;
    expect(slice).toBeGreaterThanOrEqual(HEAD_CT_PHANTOM.haemorrhage.firstSlice);
    expect(slice).toBeLessThanOrEqual(HEAD_CT_PHANTOM.haemorrhage.lastSlice);
    const png = PNG.sync.read((await h.heatmaps.read(id))!);
    expect([png.width, png.height]).toEqual([256, 256]);
    const at = (x: number, y: number) => png.data[(y * png.width + x) * 4];
    const { x, y } = HEAD_CT_PHANTOM.haemorrhage;
    expect(at(x, y)).toBe(255);
    expect(at(128, 60)).toBe(0);
    expect(at(10, 10)).toBe(0);
  });

  it('writes no heatmap for a negative finding, and rewrites the same file when the study is run again', async () => {
    const before = readdirSync(h.fixture.options.heatmapsDir).length;
    const { run } = await headRun(false);
    expect(run.findings[0]).toMatchObject({ positive: false });
    expect(run.findings[0].heatmap).toBeUndefined();
    expect(readdirSync(h.fixture.options.heatmapsDir)).toHaveLength(before);
    const env = studyEnvelope(h.source, [{ modality: 'CT', bodyPart: 'HEAD', sopClassUid: CT, files: generateHeadCtStudy({ haemorrhage: true, slices: 6 }).files }]);
    const first = (await h.service.runStudy(env.payload)).runs[0].findings[0].heatmap!;
    const second = (await h.service.runStudy(env.payload)).runs[0].findings[0].heatmap!;
    expect(second).toEqual(first);
    expect(readdirSync(h.fixture.options.heatmapsDir).filter((f) => f.endsWith('.png'))).toHaveLength(before + 1);
    expect(readdirSync(h.fixture.options.heatmapsDir).some((f) => f.endsWith('.tmp'))).toBe(false);
  });

  it('reports the chest model\'s cardiothoracic ratio as a measurement with its UCUM unit', async () => {
    const env = studyEnvelope(h.source, [{ modality: 'DX', bodyPart: 'CHEST', sopClassUid: DX, files: generateChestXrayStudy().files }]);
    const run = (await h.service.runStudy(env.payload)).runs.find((r) => r.modelId === 'cxr-reference')!;
    expect(run.measurements).toHaveLength(1);
    const [ctr] = run.measurements!;
    expect(ctr).toMatchObject({ name: 'cardiothoracic-ratio', unit: '1', code: { code: 'cardiothoracic-ratio' } });
    // The phantom's heart spans ~150 of the body's ~430 columns at that height.
    expect(ctr.value).toBeGreaterThan(0.3);
    expect(ctr.value).toBeLessThan(0.4);
    const manifest = JSON.parse(readFileSync(`${h.fixture.options.manifestsDir}/cxr-reference.json`, 'utf8')) as { output: { measurements: unknown[] } };
    expect(manifest.output.measurements).toHaveLength(1);
  });
});
