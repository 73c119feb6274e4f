import { CodingSchema, DicomUidSchema } from '@triage/contracts';
import { z } from 'zod';

/**
 * The manifest of one ONNX model: what it is, where its weights are (and their hash), which studies it
 * applies to, how pixels are prepared, how its output becomes findings, and whether it runs.
 * Unknown keys are dropped, not rejected, so a newer registry's manifests still load here.
 */

export const ModelRunModeSchema = z
  .enum(['active', 'shadow', 'off'])
  .describe('active: findings may change priority; shadow: run and recorded only; off: not run');
export type ModelRunMode = z.infer<typeof ModelRunModeSchema>;

const Sha256Schema = z.string().regex(/^[0-9a-f]{64}$/, 'sha256 must be 64 lower-case hex digits');

export const HuWindowSchema = z.object({
  kind: z.literal('hu-window'),
  center: z.number().describe('Window centre in Hounsfield units (after RescaleSlope/Intercept)'),
  width: z.number().positive().describe('Window width in Hounsfield units'),
});

export const VoiLutSchema = z.object({
  kind: z.literal('voi-lut'),
  fallback: z
    .enum(['min-max'])
    .default('min-max')
    .describe('Used when the instance has neither a window nor a VOI LUT Sequence: the frame minimum to maximum'),
  prefer: z
    .enum(['window', 'lut'])
    .default('window')
    .describe('When the instance has both a window (WindowCenter/Width) and a VOI LUT Sequence, which one is applied'),
});

export const PreprocessingSchema = z.object({
  intensity: z.discriminatedUnion('kind', [HuWindowSchema, VoiLutSchema]),
  resize: z.object({
    height: z.number().int().positive().max(4096),
    width: z.number().int().positive().max(4096),
    method: z.literal('bilinear').default('bilinear'),
  }),
  normalise: z
    .object({ min: z.number(), max: z.number() })
    .refine((r) => r.max > r.min, 'normalise.max must exceed normalise.min')
    .default({ min: 0, max: 1 })
    .describe('The windowed 0..1 intensities are mapped linearly onto this range'),
  invertMonochrome1: z.boolean().default(true).describe('MONOCHROME1 images are inverted so bright means dense'),
  crop: z
    .object({ height: z.number().int().positive().max(4096), width: z.number().int().positive().max(4096) })
    .optional()
    .describe('Centre crop after the resize (e.g. resize 256, crop 224); its size is the model input size'),
  channels: z
    .object({ mean: z.array(z.number()).min(1).max(4), std: z.array(z.number().positive()).min(1).max(4) })
    .optional()
    .describe('Per-channel standardisation after normalise, (x - mean[c]) / std[c]; the plane is replicated into every channel'),
});
export type Preprocessing = z.infer<typeof PreprocessingSchema>;

export const OutputLabelSchema = z.object({
  label: z.string().min(1).max(64),
  index: z.number().int().nonnegative().describe('Position in the output tensor (last axis)'),
  kind: z.enum(['finding', 'quality']).default('finding'),
  code: CodingSchema.describe('RadElement where one exists, else SNOMED CT'),
  threshold: z.number().min(0).max(1),
  critical: z.boolean().default(false).describe('A positive finding raises a critical alert'),
});
export type OutputLabel = z.infer<typeof OutputLabelSchema>;

export const HeatmapOutputSchema = z
  .object({
    tensor: z.string().min(1).describe('Output tensor [1, 1, H, W] or [1, H, W], values 0..1 (clamped)'),
    label: z.string().min(1).max(64).describe('The output label it explains; stored for positive findings of that label'),
  })
  .describe('Where the model looked: stored as a PNG and referenced from the finding');

export const MeasurementOutputSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'name: lower-case letters, digits and dashes'),
    tensor: z.string().min(1),
    index: z.number().int().nonnegative().default(0).describe('Position in the tensor (flattened)'),
    code: CodingSchema.describe('What is measured: RadElement, SNOMED CT or LOINC where one exists'),
    unit: z.string().min(1).max(32).describe('UCUM unit code of the value (1 for a ratio)'),
  })
  .describe('A quantity the model outputs, aggregated over slices like the probabilities');
export type MeasurementOutput = z.infer<typeof MeasurementOutputSchema>;

const CanaryPercentSchema = z
  .number()
  .min(0)
  .max(100)
  .describe('Share of studies (by a stable hash of the StudyInstanceUID) that run an active model as active; the rest run in shadow');

export const SiteRolloutSchema = z.object({
  mode: ModelRunModeSchema.optional().describe("This site's mode; absent = the manifest's"),
  canaryPercent: CanaryPercentSchema.optional().describe("This site's canary share; absent = the model's"),
});

export const RolloutSchema = z
  .object({
    siteModes: z.record(z.string().min(1).max(64), ModelRunModeSchema).default({}).describe('Per-site override of mode (shorthand of sites.<site>.mode)'),
    sites: z.record(z.string().min(1).max(64), SiteRolloutSchema).default({}).describe('Per-site mode and canary share'),
    canaryPercent: CanaryPercentSchema.optional(),
  })
  .describe('Staged roll-out per model and site; read again when the manifest changes (no restart)');
export type Rollout = z.infer<typeof RolloutSchema>;

export const ModelManifestSchema = z.object({
  manifestVersion: z.literal(1).default(1),
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{1,63}$/, 'id: lower-case letters, digits and dashes'),
  version: z.string().regex(/^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$/, 'version: semantic version'),
  description: z.string().max(1024).optional(),
  sha256: Sha256Schema.describe('Hash of the weights file; a different file is refused'),
  weights: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}\.onnx$/, 'weights: a plain .onnx file name, no path')
    .describe('File name in the models directory'),
  intendedUse: z.string().min(1).max(2048),
  licence: z.string().min(1).max(128),
  applicability: z.object({
    modalities: z.array(z.string().min(1).max(16)).min(1),
    bodyParts: z.array(z.string().min(1).max(16)).default([]).describe('BodyPartExamined values; empty = any'),
    sopClassUids: z.array(DicomUidSchema).optional(),
    views: z
      .array(z.string().min(1).max(16))
      .default([])
      .describe('ViewPosition (0018,5101) values, e.g. PA, AP; empty = any. When set, images without a listed view are not run'),
    minInstances: z.number().int().positive().default(1),
  }),
  input: z.object({
    name: z.string().min(1),
    shape: z
      .array(z.number().int().positive())
      .min(4)
      .max(5)
      .describe('[N, C, H, W] (NCHW), [N, H, W, C] (NHWC) or [N, C, D, H, W] (NCDHW: the whole series as one volume); N = 1'),
    layout: z.enum(['NCHW', 'NHWC', 'NCDHW']).default('NCHW'),
  }),
  preprocessing: PreprocessingSchema,
  aggregation: z.enum(['max', 'mean']).describe('How per-slice (per-frame) outputs become one study result (a volume input runs once)'),
  output: z.object({
    tensor: z.string().min(1),
    activation: z.enum(['sigmoid', 'softmax', 'none']),
    labels: z.array(OutputLabelSchema).min(1),
    heatmap: HeatmapOutputSchema.optional(),
    measurements: z.array(MeasurementOutputSchema).max(16).default([]),
  }),
  mode: ModelRunModeSchema,
  rollout: RolloutSchema.optional(),
});
export type ModelManifest = z.infer<typeof ModelManifestSchema>;

/** Why a manifest was rejected; paths and rules only. */
export class ManifestInvalidError extends Error {
  readonly retryable = false;
  constructor(message: string) {
    super(message);
    this.name = 'ManifestInvalidError';
  }
}

/** Parses and checks a manifest (JSON value); throws ManifestInvalidError listing the problems. */
export function parseModelManifest(json: unknown): ModelManifest {
  const parsed = ModelManifestSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new ManifestInvalidError(`model manifest invalid: ${issues}`);
  }
  const m = parsed.data;
  if ((m.input.layout === 'NCDHW') !== (m.input.shape.length === 5)) {
    throw new ManifestInvalidError(`model manifest invalid: input.shape has ${m.input.shape.length} dimensions for layout ${m.input.layout}`);
  }
  const { height: h, width: w, channels: c } = inputGeometry(m);
  const { resize, crop, channels } = m.preprocessing;
  const final = crop ?? resize;
  if (h !== final.height || w !== final.width) {
    throw new ManifestInvalidError(`model manifest invalid: ${crop ? 'crop' : 'resize'} ${final.height}x${final.width} does not match input ${h}x${w}`);
  }
  if (crop && (crop.height > resize.height || crop.width > resize.width)) throw new ManifestInvalidError('model manifest invalid: crop is larger than resize');
  if (m.input.shape[0] !== 1) throw new ManifestInvalidError('model manifest invalid: input batch size (N) must be 1');
  if (c !== 1 && c !== 3) throw new ManifestInvalidError(`model manifest invalid: ${c} input channels; 1 or 3 are supported`);
  if (channels && (channels.mean.length !== c || channels.std.length !== c)) {
    throw new ManifestInvalidError(`model manifest invalid: preprocessing.channels needs ${c} means and ${c} standard deviations`);
  }
  const indexes = new Set(m.output.labels.map((l) => l.index));
  if (indexes.size !== m.output.labels.length) throw new ManifestInvalidError('model manifest invalid: two labels share an output index');
  const heatmap = m.output.heatmap;
  if (m.input.layout === 'NCDHW' && (heatmap || c !== 1)) {
    throw new ManifestInvalidError('model manifest invalid: volume (NCDHW) inputs take one channel and no heatmap output yet');
  }
  if (heatmap && !m.output.labels.some((l) => l.label === heatmap.label)) {
    throw new ManifestInvalidError(`model manifest invalid: output.heatmap.label ${heatmap.label} is not one of output.labels`);
  }
  if (new Set(m.output.measurements.map((x) => x.name)).size !== m.output.measurements.length) {
    throw new ManifestInvalidError('model manifest invalid: two measurements share a name');
  }
  return m;
}

/** Height, width, channel count and depth (1 for a 2-D input) of the model input, by its layout. */
export function inputGeometry(m: Pick<ModelManifest, 'input'>): { height: number; width: number; channels: number; depth: number } {
  const [, a, b, c, d] = m.input.shape;
  switch (m.input.layout) {
    case 'NHWC':
      return { height: a, width: b, channels: c, depth: 1 };
    case 'NCHW':
      return { height: b, width: c, channels: a, depth: 1 };
    case 'NCDHW':
      return { height: c, width: d, channels: a, depth: b };
  }
}

/** Every output tensor a run must fetch: the probabilities, the heatmap and the measurements. */
export function outputTensors(manifest: ModelManifest): string[] {
  const o = manifest.output;
  return [...new Set([o.tensor, ...(o.heatmap ? [o.heatmap.tensor] : []), ...o.measurements.map((x) => x.tensor)])];
}

/**
 * FNV-1a of the StudyInstanceUID into 0..99. The same study always falls in the same bucket, and a study
 * in an N % canary stays in it when the share is raised (bucket < N).
 */
export function canaryBucket(studyInstanceUid: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < studyInstanceUid.length; i++) {
    h ^= studyInstanceUid.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % 100;
}

/** Every mode the model may run in at some site: decides whether its weights are loaded at all. */
export function modesInUse(manifest: ModelManifest): ModelRunMode[] {
  const r = manifest.rollout;
  const siteModes = r ? [...Object.values(r.siteModes), ...Object.values(r.sites).flatMap((s) => (s.mode ? [s.mode] : []))] : [];
  return [...new Set([manifest.mode, ...siteModes])];
}

/**
 * The mode a model runs in for one study: the site's mode (sites.<site>.mode, else siteModes.<site>,
 * else the manifest's), then the canary share (the site's, else the model's): an active model outside
 * its canary runs in shadow.
 */
export function effectiveMode(manifest: ModelManifest, study: { studyInstanceUid: string; site?: string }): ModelRunMode {
  const r = manifest.rollout;
  const site = study.site && r ? r.sites[study.site] : undefined;
  const siteMode = study.site && r ? r.siteModes[study.site] : undefined;
  const mode = site?.mode ?? siteMode ?? manifest.mode;
  const canary = site?.canaryPercent ?? r?.canaryPercent;
  if (mode === 'active' && canary !== undefined && canaryBucket(study.studyInstanceUid) >= canary) return 'shadow';
  return mode;
}
