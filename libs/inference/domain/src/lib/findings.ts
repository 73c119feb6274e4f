import type { Finding } from '@triage/contracts';
import type { ModelManifest } from './model-manifest';

/** Applies the manifest's output activation to one output vector (the last axis of one slice). */
export function activate(values: ArrayLike<number>, activation: ModelManifest['output']['activation']): number[] {
  // A plain copy: Array.from goes through the iterator protocol, microseconds for a one-value output.
  const xs = new Array<number>(values.length);
  for (let i = 0; i < xs.length; i++) xs[i] = values[i];
  switch (activation) {
    case 'none':
      return xs;
    case 'sigmoid':
      return xs.map((x) => 1 / (1 + Math.exp(-x)));
    case 'softmax': {
      const max = Math.max(...xs);
      const exps = xs.map((x) => Math.exp(x - max));
      const sum = exps.reduce((a, b) => a + b, 0);
      return exps.map((e) => e / sum);
    }
  }
}

/** Combines per-slice probability vectors into one (element-wise max or mean). */
export function aggregate(perSlice: readonly number[][], method: ModelManifest['aggregation']): number[] {
  if (perSlice.length === 0) throw new Error('no slices to aggregate');
  const width = perSlice[0].length;
  const out = new Array<number>(width).fill(method === 'max' ? -Infinity : 0);
  for (const row of perSlice) {
    for (let i = 0; i < width; i++) out[i] = method === 'max' ? Math.max(out[i], row[i]) : out[i] + row[i] / perSlice.length;
  }
  return out;
}

function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0;
}

/** Turns the study-level probabilities into findings per the manifest's labels. */
export function decodeFindings(manifest: ModelManifest, probabilities: readonly number[]): Finding[] {
  return manifest.output.labels.map((l) => {
    if (l.index >= probabilities.length) {
      throw new Error(`model ${manifest.id} output has ${probabilities.length} values; label ${l.label} wants index ${l.index}`);
    }
    const probability = clamp01(probabilities[l.index]);
    return {
      label: l.label,
      kind: l.kind,
      code: l.code,
      probability,
      threshold: l.threshold,
      positive: probability >= l.threshold,
      critical: l.critical,
    };
  });
}
