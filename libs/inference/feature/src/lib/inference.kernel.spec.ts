import { activate, aggregate, decodeDicomImage, decodeFindings, orderSlices, preprocessFrame, type DicomImage } from '@triage/inference-domain';
import { generateHeadCtStudy } from '@triage/samples';
import { inferenceHarness, type InferenceHarness } from './model-fixture.spec-helper';

jest.setTimeout(60_000);

/**
 * The stage hands session.run a view onto its preprocessing kernel's memory (no copy): the results must
 * be those of planes of their own, also when runs of two studies interleave at the execution gate.
 */
describe('InferenceService planes on the WebAssembly kernel', () => {
  let h: InferenceHarness;
  beforeAll(async () => {
    h = await inferenceHarness({ maxConcurrentRuns: 1 });
  });
  afterAll(() => h.stop());

  const series = (haemorrhage: boolean): DicomImage[] => generateHeadCtStudy({ haemorrhage, slices: 8 }).files.map((f) => decodeDicomImage(f));

  /** The stage's result computed the plain way: an owned plane per slice, one run each. */
  async function reference(images: DicomImage[]) {
    const model = h.registry.list().find((m) => m.manifest.id === 'head-ct-hyperdensity')!;
    const { manifest } = model;
    const perSlice: number[][] = [];
    let best: { score: number; data: Float32Array } | undefined;
    for (const s of orderSlices(images)) {
      const outputs = await h.registry.runOutputs(model, preprocessFrame(s.image, s.frame, manifest.preprocessing));
      const p = activate(outputs[manifest.output.tensor].data, manifest.output.activation);
      perSlice.push(p);
      if (!best || p[0] > best.score) best = { score: p[0], data: outputs.heatmap.data.slice() };
    }
    return { model, findings: decodeFindings(manifest, aggregate(perSlice, manifest.aggregation)), heatmap: best!.data };
  }

  it('gives the results of owned planes, for two studies run at once through one execution slot', async () => {
    const bleed = series(true);
    const clear = series(false);
    const [refBleed, refClear] = [await reference(bleed), await reference(clear)];
    expect(refBleed.findings[0].positive).toBe(true);
    expect(refClear.findings[0].positive).toBe(false);
    const model = refBleed.model;
    const [a, b] = await Promise.all([h.service.evaluate(model, bleed), h.service.evaluate(model, clear)]);
    expect(a.findings.filter((f) => f.kind === 'finding')).toEqual(refBleed.findings);
    expect(b.findings.filter((f) => f.kind === 'finding')).toEqual(refClear.findings);
    expect(Array.from(a.heatmap!.plane.data)).toEqual(Array.from(refBleed.heatmap));
    expect(Array.from(b.heatmap!.plane.data)).toEqual(Array.from(refClear.heatmap));
  });
});
