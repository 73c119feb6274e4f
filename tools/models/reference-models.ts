import { onnx } from 'onnx-proto';
import { encodeModel, floatTensor, int64Tensor, node, type GraphSpec } from './onnx-graph';

/**
 * The reference models of the mesh. They are small hand-written ONNX graphs that exercise the whole
 * pipeline (registry, pixel decoding, windowing, ONNX Runtime, decoding of findings) on the synthetic
 * sample studies. They are NOT trained and NOT for clinical use.
 */
export interface ReferenceModel {
  id: string;
  version: string;
  /** File name under the models directory. */
  file: string;
  build(): Uint8Array;
}

/** Head CT hyperdensity: parameters shared with its manifest and tests. */
export const HEAD_CT = {
  id: 'head-ct-hyperdensity',
  version: '1.1.0',
  size: 256,
  // The preprocessing windows HU to 0..100 and scales to 0..1, so 50..90 HU is 0.5..0.9.
  maskLow: 0.5,
  maskHigh: 0.9,
  // Logistic over the fraction of the slice in the mask. A 22x16 px haematoma covers ~1.7 % of a
  // 256x256 slice; a normal brain (20..45 HU) covers 0 %. t sits at 0.4 % (~260 px), k makes it steep.
  t: 0.004,
  k: 1500,
  // Heatmap: the in-band mask averaged over a 9x9 neighbourhood (same size as the input).
  heatmapKernel: 9,
} as const;

/** Chest X-ray lung opacity: regions in the 224x224 input, [row0, col0, row1, col1) (PA view, image left = patient right). */
export const CXR = {
  id: 'cxr-reference',
  version: '1.1.0',
  size: 224,
  rightLung: [60, 40, 150, 90],
  leftLung: [60, 134, 150, 184],
  mediastinum: [60, 102, 170, 122],
  // Opacity = brightest lung field relative to the mediastinum; normal aerated lungs sit far below it.
  // Calibrated on the shared phantom (normal ~0.46, with consolidation ~0.8) and one real normal PA film (~0.60).
  t: 0.66,
  k: 20,
  eps: 0.01,
  // Reference cardiothoracic ratio: on the column profile of a row band through the heart, the columns
  // brighter than `heartLevel` (heart and mediastinum) over those brighter than `bodyLevel` (the body).
  ctrRows: [134, 155],
  heartLevel: 0.7,
  bodyLevel: 0.1,
} as const;

function headCtGraph(): GraphSpec {
  const { size, maskLow, maskHigh, t, k } = HEAD_CT;
  return {
    name: 'head_ct_hyperdensity',
    doc:
      'REFERENCE MODEL, NOT FOR CLINICAL USE. Fraction of a windowed head CT slice (0..1 = 0..100 HU) ' +
      `in ${maskLow * 100}..${maskHigh * 100} HU, through a logistic k*(fraction - t); heatmap: that mask, ` +
      `averaged over ${HEAD_CT.heatmapKernel}x${HEAD_CT.heatmapKernel} pixels.`,
    input: { name: 'image', shape: [1, 1, size, size] },
    output: { name: 'probability', shape: [1, 1] },
    extraOutputs: [{ name: 'heatmap', shape: [1, 1, size, size] }],
    initializers: [
      floatTensor('mask_low', [], [maskLow]),
      floatTensor('mask_high', [], [maskHigh]),
      floatTensor('t', [], [t]),
      floatTensor('k', [], [k]),
      int64Tensor('out_shape', [2], [1, 1]),
    ],
    nodes: [
      node('GreaterOrEqual', ['image', 'mask_low'], ['above_low']),
      node('LessOrEqual', ['image', 'mask_high'], ['below_high']),
      node('And', ['above_low', 'below_high'], ['in_band']),
      node('Cast', ['in_band'], ['mask'], { to: onnx.TensorProto.DataType.FLOAT }),
      node('ReduceMean', ['mask'], ['fraction'], { axes: [1, 2, 3], keepdims: 1 }),
      node('Reshape', ['fraction', 'out_shape'], ['fraction_2d']),
      node('Sub', ['fraction_2d', 't'], ['centred']),
      node('Mul', ['centred', 'k'], ['logit']),
      node('Sigmoid', ['logit'], ['probability']),
      node('AveragePool', ['mask'], ['heatmap'], {
        kernel_shape: [HEAD_CT.heatmapKernel, HEAD_CT.heatmapKernel],
        pads: Array(4).fill((HEAD_CT.heatmapKernel - 1) / 2),
        strides: [1, 1],
      }),
    ],
  };
}

function regionMean(prefix: string, box: readonly number[]): { nodes: onnx.INodeProto[]; initializers: onnx.ITensorProto[] } {
  const [r0, c0, r1, c1] = box;
  return {
    initializers: [
      int64Tensor(`${prefix}_starts`, [2], [r0, c0]),
      int64Tensor(`${prefix}_ends`, [2], [r1, c1]),
    ],
    nodes: [
      node('Slice', ['image', `${prefix}_starts`, `${prefix}_ends`, 'hw_axes'], [`${prefix}_roi`]),
      node('ReduceMean', [`${prefix}_roi`], [`${prefix}_mean`], { axes: [1, 2, 3], keepdims: 1 }),
    ],
  };
}

function cxrGraph(): GraphSpec {
  const { size, t, k, eps } = CXR;
  const right = regionMean('right_lung', CXR.rightLung);
  const left = regionMean('left_lung', CXR.leftLung);
  const med = regionMean('mediastinum', CXR.mediastinum);
  return {
    name: 'cxr_reference',
    doc:
      'REFERENCE MODEL, NOT FOR CLINICAL USE. Crude lung opacity: mean intensity of the brighter lung field ' +
      'relative to the mediastinum on a 224x224 PA chest radiograph (0..1), through a logistic k*(ratio - t); ' +
      'ctr: a crude cardiothoracic ratio (bright central columns over body columns of a row band through the heart).',
    input: { name: 'image', shape: [1, 1, size, size] },
    output: { name: 'probability', shape: [1, 1] },
    extraOutputs: [{ name: 'ctr', shape: [1, 1] }],
    initializers: [
      int64Tensor('hw_axes', [2], [2, 3]),
      ...right.initializers,
      ...left.initializers,
      ...med.initializers,
      floatTensor('eps', [], [eps]),
      floatTensor('t', [], [t]),
      floatTensor('k', [], [k]),
      int64Tensor('out_shape', [2], [1, 1]),
      int64Tensor('band_starts', [2], [CXR.ctrRows[0], 0]),
      int64Tensor('band_ends', [2], [CXR.ctrRows[1], size]),
      floatTensor('heart_level', [], [CXR.heartLevel]),
      floatTensor('body_level', [], [CXR.bodyLevel]),
      floatTensor('one', [], [1]),
      int64Tensor('sum_axes', [3], [1, 2, 3]),
    ],
    nodes: [
      ...right.nodes,
      ...left.nodes,
      ...med.nodes,
      node('Slice', ['image', 'band_starts', 'band_ends', 'hw_axes'], ['band']),
      node('ReduceMean', ['band'], ['profile'], { axes: [2], keepdims: 1 }),
      node('Greater', ['profile', 'heart_level'], ['heart_cols_b']),
      node('Greater', ['profile', 'body_level'], ['body_cols_b']),
      node('Cast', ['heart_cols_b'], ['heart_cols'], { to: onnx.TensorProto.DataType.FLOAT }),
      node('Cast', ['body_cols_b'], ['body_cols'], { to: onnx.TensorProto.DataType.FLOAT }),
      // Opset 13 ReduceSum takes its axes as an input.
      node('ReduceSum', ['heart_cols', 'sum_axes'], ['heart_width'], { keepdims: 1 }),
      node('ReduceSum', ['body_cols', 'sum_axes'], ['body_width'], { keepdims: 1 }),
      node('Max', ['body_width', 'one'], ['body_safe']),
      node('Div', ['heart_width', 'body_safe'], ['ctr_4d']),
      node('Reshape', ['ctr_4d', 'out_shape'], ['ctr']),
      node('Max', ['right_lung_mean', 'left_lung_mean'], ['lung_mean']),
      node('Add', ['mediastinum_mean', 'eps'], ['mediastinum_safe']),
      node('Div', ['lung_mean', 'mediastinum_safe'], ['ratio']),
      node('Reshape', ['ratio', 'out_shape'], ['ratio_2d']),
      node('Sub', ['ratio_2d', 't'], ['centred']),
      node('Mul', ['centred', 'k'], ['logit']),
      node('Sigmoid', ['logit'], ['probability']),
    ],
  };
}

/**
 * Drop-in proof for the conventions of public chest X-ray classifiers (e.g. the 18-label models of
 * TorchXRayVision): input 1x1x224x224 scaled to [-1024, 1024], 18 logits read through a sigmoid.
 * The weights are a fixed formula over four regional means: deterministic, not trained.
 */
export const CXR18 = {
  id: 'cxr18-convention-reference',
  version: '1.0.0',
  size: 224,
  labels: [
    'Atelectasis',
    'Consolidation',
    'Infiltration',
    'Pneumothorax',
    'Edema',
    'Emphysema',
    'Fibrosis',
    'Effusion',
    'Pneumonia',
    'Pleural_Thickening',
    'Cardiomegaly',
    'Nodule',
    'Mass',
    'Hernia',
    'Lung Lesion',
    'Fracture',
    'Lung Opacity',
    'Enlarged Cardiomediastinum',
  ],
  features: 4,
} as const;

/** Weight of feature i for label j: a fixed, bounded formula so the bytes never change. */
function cxr18Weight(i: number, j: number): number {
  return Math.round(Math.sin((i + 1) * (j + 3)) * 1500) / 1000;
}

function cxr18Graph(): GraphSpec {
  const { size, labels, features } = CXR18;
  const n = labels.length;
  const right = regionMean('right_lung', CXR.rightLung);
  const left = regionMean('left_lung', CXR.leftLung);
  const med = regionMean('mediastinum', CXR.mediastinum);
  const weights: number[] = [];
  for (let i = 0; i < features; i++) for (let j = 0; j < n; j++) weights.push(cxr18Weight(i, j));
  const bias = Array.from({ length: n }, (_, j) => -1 + (j % 5) * 0.25);
  return {
    name: 'cxr18_convention_reference',
    doc:
      'REFERENCE MODEL, NOT FOR CLINICAL USE. Public chest X-ray classifier conventions (1x1x224x224 in ' +
      '[-1024, 1024], 18 logits for sigmoid); a fixed linear map of four regional means, not trained.',
    input: { name: 'img', shape: [1, 1, size, size] },
    output: { name: 'logits', shape: [1, n] },
    initializers: [
      int64Tensor('hw_axes', [2], [2, 3]),
      ...right.initializers,
      ...left.initializers,
      ...med.initializers,
      int64Tensor('feature_shape', [2], [1, 1]),
      floatTensor('scale', [], [1 / 1024]),
      floatTensor('W', [features, n], weights),
      floatTensor('B', [n], bias),
    ],
    nodes: [
      node('Identity', ['img'], ['image']),
      ...right.nodes,
      ...left.nodes,
      ...med.nodes,
      node('ReduceMean', ['image'], ['global_mean'], { axes: [1, 2, 3], keepdims: 1 }),
      ...['right_lung_mean', 'left_lung_mean', 'mediastinum_mean', 'global_mean'].map((m) => node('Reshape', [m, 'feature_shape'], [`${m}_2d`])),
      node('Concat', ['right_lung_mean_2d', 'left_lung_mean_2d', 'mediastinum_mean_2d', 'global_mean_2d'], ['features_raw'], { axis: 1 }),
      node('Mul', ['features_raw', 'scale'], ['features']),
      node('Gemm', ['features', 'W', 'B'], ['logits']),
    ],
  };
}

export const REFERENCE_MODELS: readonly ReferenceModel[] = [
  {
    id: HEAD_CT.id,
    version: HEAD_CT.version,
    file: `${HEAD_CT.id}-${HEAD_CT.version}.onnx`,
    build: () => encodeModel(headCtGraph(), HEAD_CT.version),
  },
  {
    id: CXR.id,
    version: CXR.version,
    file: `${CXR.id}-${CXR.version}.onnx`,
    build: () => encodeModel(cxrGraph(), CXR.version),
  },
  {
    id: CXR18.id,
    version: CXR18.version,
    file: `${CXR18.id}-${CXR18.version}.onnx`,
    build: () => encodeModel(cxr18Graph(), CXR18.version),
  },
];
