import type { InferenceRun } from '@triage/contracts';
import { aggregate } from './findings';
import type { ModelManifest } from './model-manifest';

/** A heatmap plane of one slice: row-major values, 0..1 once clamped. */
export interface HeatmapPlane {
  width: number;
  height: number;
  data: Float32Array;
}

export type Measurement = NonNullable<InferenceRun['measurements']>[number];

/** Reads a heatmap tensor ([1, 1, H, W], [1, H, W] or [H, W]) as a plane; throws on any other shape. */
export function heatmapPlane(data: Float32Array, dims: readonly number[]): HeatmapPlane {
  const lead = dims.slice(0, -2);
  const [height, width] = dims.slice(-2);
  if (dims.length < 2 || dims.length > 4 || lead.some((d) => d !== 1) || !(height > 0) || !(width > 0) || height * width !== data.length) {
    throw new Error(`heatmap tensor has shape [${dims.join(', ')}]; [1, 1, H, W], [1, H, W] or [H, W] expected`);
  }
  return { width, height, data };
}

/** A heatmap as 8-bit greyscale (0..1 to 0..255, clamped; NaN as 0). */
export function heatmapToGrey8(plane: HeatmapPlane): Uint8Array {
  const out = new Uint8Array(plane.data.length);
  for (let i = 0; i < out.length; i++) {
    const v = plane.data[i];
    out[i] = v > 0 ? (v >= 1 ? 255 : Math.round(v * 255)) : 0;
  }
  return out;
}

/** The manifest's measurements from the per-slice values (same order), aggregated like the probabilities. */
export function decodeMeasurements(manifest: ModelManifest, perSlice: readonly number[][]): Measurement[] {
  const outputs = manifest.output.measurements;
  if (outputs.length === 0 || perSlice.length === 0) return [];
  const values = aggregate(perSlice, manifest.aggregation);
  return outputs.flatMap((m, i) =>
    Number.isFinite(values[i]) ? [{ name: m.name, code: m.code, value: Number(values[i].toPrecision(6)), unit: m.unit }] : [],
  );
}
