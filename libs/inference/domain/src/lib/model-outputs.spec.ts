import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ManifestInvalidError, outputTensors, parseModelManifest } from './model-manifest';
import { decodeMeasurements, heatmapPlane, heatmapToGrey8 } from './model-outputs';

const MANIFESTS = join(__dirname, '../../../../../models/manifests');
const load = (id: string) => JSON.parse(readFileSync(join(MANIFESTS, `${id}.json`), 'utf8')) as Record<string, unknown> & { output: Record<string, unknown> };

describe('heatmap and measurement outputs', () => {
  it('reads [1,1,H,W], [1,H,W] and [H,W] heatmap tensors and refuses other shapes', () => {
    const data = new Float32Array(6);
    expect(heatmapPlane(data, [1, 1, 2, 3])).toMatchObject({ height: 2, width: 3 });
    expect(heatmapPlane(data, [1, 2, 3])).toMatchObject({ height: 2, width: 3 });
    expect(heatmapPlane(data, [2, 3])).toMatchObject({ height: 2, width: 3 });
    expect(() => heatmapPlane(data, [2, 1, 1, 3])).toThrow(/heatmap tensor has shape \[2, 1, 1, 3\]/);
    expect(() => heatmapPlane(data, [1, 1, 3, 3])).toThrow(/heatmap/);
  });

  it('maps heatmap values 0..1 onto 0..255, clamping and treating NaN as 0', () => {
    const plane = { width: 5, height: 1, data: Float32Array.from([-1, 0, 0.5, 1, Number.NaN]) };
    expect(Array.from(heatmapToGrey8(plane))).toEqual([0, 0, 128, 255, 0]);
  });

  it('aggregates measurements over slices like the probabilities and drops non-finite values', () => {
    const m = parseModelManifest(load('cxr-reference'));
    expect(outputTensors(m)).toEqual(['probability', 'ctr']);
    expect(decodeMeasurements(m, [[0.41], [0.45]])).toEqual([{ name: 'cardiothoracic-ratio', code: m.output.measurements[0].code, value: 0.45, unit: '1' }]);
    expect(decodeMeasurements({ ...m, aggregation: 'mean' }, [[0.4], [0.5]])[0].value).toBe(0.45);
    expect(decodeMeasurements(m, [[Number.NaN]])).toEqual([]);
  });

  it('refuses a heatmap for a label the model does not output, and duplicate measurement names', () => {
    const head = load('head-ct-hyperdensity');
    expect(outputTensors(parseModelManifest(head))).toEqual(['probability', 'heatmap']);
    expect(() => parseModelManifest({ ...head, output: { ...head.output, heatmap: { tensor: 'heatmap', label: 'other' } } })).toThrow(ManifestInvalidError);
    const cxr = load('cxr-reference');
    const ms = cxr.output.measurements as unknown[];
    expect(() => parseModelManifest({ ...cxr, output: { ...cxr.output, measurements: [...ms, ...ms] } })).toThrow(/share a name/);
  });
});
