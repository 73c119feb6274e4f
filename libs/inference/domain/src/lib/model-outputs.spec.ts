import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inputGeometry, ManifestInvalidError, outputTensors, parseModelManifest } from './model-manifest';
import { centreCrop, modelInput, volumeInput } from './preprocess';
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

describe('input geometry, crop and channels', () => {
  const cxr18 = load('cxr18-convention-reference') as unknown as Record<string, unknown> & { input: Record<string, unknown>; preprocessing: Record<string, unknown> };

  it('reads the input size by layout and checks crop and channel settings against it', () => {
    expect(inputGeometry(parseModelManifest(cxr18))).toEqual({ height: 224, width: 224, channels: 1, depth: 1 });
    const nhwc = { ...cxr18, input: { ...cxr18.input, shape: [1, 224, 224, 3], layout: 'NHWC' }, preprocessing: { ...cxr18.preprocessing, channels: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] } } };
    expect(inputGeometry(parseModelManifest(nhwc))).toEqual({ height: 224, width: 224, channels: 3, depth: 1 });
    const resize256 = { ...(cxr18.preprocessing.resize as object), height: 256, width: 256 };
    expect(() => parseModelManifest({ ...cxr18, preprocessing: { ...cxr18.preprocessing, resize: resize256 } })).toThrow(/resize 256x256 does not match input 224x224/);
    expect(parseModelManifest({ ...cxr18, preprocessing: { ...cxr18.preprocessing, resize: resize256, crop: { height: 224, width: 224 } } }).preprocessing.crop).toEqual({ height: 224, width: 224 });
    expect(() => parseModelManifest({ ...nhwc, preprocessing: { ...nhwc.preprocessing, channels: { mean: [0], std: [1] } } })).toThrow(/3 means/);
    expect(() => parseModelManifest({ ...cxr18, input: { ...cxr18.input, shape: [2, 1, 224, 224] } })).toThrow(/batch size/);
    expect(() => parseModelManifest({ ...cxr18, input: { ...cxr18.input, shape: [1, 2, 224, 224] } })).toThrow(/2 input channels/);
  });

  it('lays one plane out as 3 standardised channels in NCHW or NHWC, and passes a 1-channel NCHW plane as is', () => {
    const plane = Float32Array.from([0, 0.5, 1, 0.25]);
    const base = parseModelManifest(cxr18);
    expect(modelInput(plane, base)).toBe(plane);
    const channels = { mean: [0, 0.5, 1], std: [1, 0.5, 0.25] };
    const nchw = { input: { ...base.input, shape: [1, 3, 2, 2] }, preprocessing: { ...base.preprocessing, channels } };
    expect(Array.from(modelInput(plane, nchw))).toEqual([0, 0.5, 1, 0.25, -1, 0, 1, -0.5, -4, -2, 0, -3]);
    const nhwc = { input: { ...base.input, shape: [1, 2, 2, 3], layout: 'NHWC' as const }, preprocessing: { ...base.preprocessing, channels } };
    expect(Array.from(modelInput(plane, nhwc))).toEqual([0, -1, -4, 0.5, 0, -2, 1, 1, 0, 0.25, -0.5, -3]);
  });

  it('crops the centre after the resize', () => {
    const src = Float32Array.from({ length: 16 }, (_, i) => i);
    expect(Array.from(centreCrop(src, 4, 4, 2, 2))).toEqual([5, 6, 9, 10]);
    expect(Array.from(centreCrop(src, 4, 4, 3, 3))).toEqual([0, 1, 2, 4, 5, 6, 8, 9, 10]);
  });
});

describe('volume inputs (NCDHW)', () => {
  const head = load('head-ct-hyperdensity') as Record<string, unknown> & { input: Record<string, unknown>; output: Record<string, unknown> };
  const volume = { ...head, input: { name: 'image', shape: [1, 1, 8, 256, 256], layout: 'NCDHW' }, output: { ...head.output, heatmap: undefined } };

  it('reads depth from an NCDHW shape and refuses a heatmap, a mismatched rank or several channels', () => {
    expect(inputGeometry(parseModelManifest(volume))).toEqual({ height: 256, width: 256, channels: 1, depth: 8 });
    expect(() => parseModelManifest({ ...volume, output: head.output })).toThrow(/no heatmap output yet/);
    expect(() => parseModelManifest({ ...volume, input: { ...volume.input, shape: [1, 1, 256, 256] } })).toThrow(/4 dimensions for layout NCDHW/);
    expect(() => parseModelManifest({ ...volume, input: { ...volume.input, shape: [1, 3, 8, 256, 256] } })).toThrow(/one channel/);
  });

  it('resamples the ordered slices to the model depth with linear interpolation and half-slice centres', () => {
    const planes = [0, 10, 20, 30].map((v) => Float32Array.from([v, v + 1]));
    expect(Array.from(volumeInput(planes, 4))).toEqual([0, 1, 10, 11, 20, 21, 30, 31]);
    expect(Array.from(volumeInput(planes, 2))).toEqual([5, 6, 25, 26]);
    expect(Array.from(volumeInput(planes.slice(0, 2), 4))).toEqual([0, 1, 2.5, 3.5, 7.5, 8.5, 10, 11]);
  });
});
