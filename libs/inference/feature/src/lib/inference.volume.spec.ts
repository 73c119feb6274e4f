import { generateHeadCtStudy } from '@triage/samples';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { onnx } from 'onnx-proto';
import { inferenceHarness, type InferenceHarness } from './model-fixture.spec-helper';
import { studyEnvelope } from './study-fixture.spec-helper';

// Each file builds the reference models once and loads them; on a busy 2-core machine that outlasts 5 s.
jest.setTimeout(60_000);

const CT = '1.2.840.10008.5.1.4.1.1.2';
const DEPTH = 8;
const SIZE = 256;

/** A volume model built here: the share of voxels of a [1, 1, 8, 256, 256] input in 0.5..0.9 (50..90 HU). */
function volumeModel(): Uint8Array {
  const f32 = (name: string, v: number): onnx.ITensorProto => ({ name, dims: [], dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(new Float32Array([v]).buffer) });
  const info = (name: string, shape: number[]): onnx.IValueInfoProto => ({
    name,
    type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: shape.map((d) => ({ dimValue: d })) } } },
  });
  const node = (opType: string, input: string[], output: string[], attribute: onnx.IAttributeProto[] = []): onnx.INodeProto => ({ opType, input, output, name: output[0], attribute });
  const model = onnx.ModelProto.create({
    irVersion: 7,
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'volume_band_fraction',
      input: [info('volume', [1, 1, DEPTH, SIZE, SIZE])],
      output: [info('fraction', [1, 1])],
      initializer: [
        f32('low', 0.5),
        f32('high', 0.9),
        { name: 'shape', dims: [2], dataType: onnx.TensorProto.DataType.INT64, rawData: new Uint8Array(new BigInt64Array([1n, 1n]).buffer) },
      ],
      node: [
        node('GreaterOrEqual', ['volume', 'low'], ['ge']),
        node('LessOrEqual', ['volume', 'high'], ['le']),
        node('And', ['ge', 'le'], ['band']),
        node('Cast', ['band'], ['mask'], [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: onnx.TensorProto.DataType.FLOAT }]),
        node('ReduceMean', ['mask'], ['mean'], [{ name: 'axes', type: onnx.AttributeProto.AttributeType.INTS, ints: [1, 2, 3, 4] }, { name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: 1 }]),
        node('Reshape', ['mean', 'shape'], ['fraction']),
      ],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

describe('InferenceService: a volume (NCDHW) model gets the whole series as one input', () => {
  let h: InferenceHarness;
  beforeAll(async () => {
    h = await inferenceHarness();
    const bytes = volumeModel();
    writeFileSync(join(h.fixture.options.modelsDir, 'ct-volume-test-1.0.0.onnx'), bytes);
    const head = JSON.parse(readFileSync(join(h.fixture.options.manifestsDir, 'head-ct-hyperdensity.json'), 'utf8')) as Record<string, unknown> & { output: Record<string, unknown> };
    const manifest = {
      ...head,
      id: 'ct-volume-test',
      version: '1.0.0',
      weights: 'ct-volume-test-1.0.0.onnx',
      sha256: createHash('sha256').update(bytes).digest('hex'),
      input: { name: 'volume', shape: [1, 1, DEPTH, SIZE, SIZE], layout: 'NCDHW' },
      output: { tensor: 'fraction', activation: 'none', labels: [{ ...(head.output.labels as object[])[0], label: 'hyperdense-volume', threshold: 0.002 }] },
      mode: 'shadow',
    };
    writeFileSync(join(h.fixture.options.manifestsDir, 'ct-volume-test.json'), JSON.stringify(manifest));
    await h.registry.reload();
  });
  afterAll(() => h.stop());

  const volumeRun = async (haemorrhage: boolean) => {
    const files = generateHeadCtStudy({ haemorrhage, slices: 12 }).files;
    const out = await h.service.runStudy(studyEnvelope(h.source, [{ modality: 'CT', bodyPart: 'HEAD', sopClassUid: CT, files }]).payload);
    return out.runs.find((r) => r.modelId === 'ct-volume-test')!;
  };

  it('runs once over the 12 slices resampled to 8 and separates the haemorrhage phantom from the normal one', async () => {
    expect(h.registry.list().find((m) => m.manifest.id === 'ct-volume-test')?.status).toBe('ready');
    const bleed = await volumeRun(true);
    const normal = await volumeRun(false);
    expect(bleed).toMatchObject({ status: 'succeeded', mode: 'shadow' });
    expect(bleed.findings[0]).toMatchObject({ label: 'hyperdense-volume', positive: true });
    // About 1.7 % of a slice on half of the slices; none in the normal phantom.
    expect(bleed.findings[0].probability).toBeGreaterThan(0.004);
    expect(bleed.findings[0].probability).toBeLessThan(0.02);
    expect(normal.findings[0]).toMatchObject({ positive: false, probability: 0 });
  });
});
