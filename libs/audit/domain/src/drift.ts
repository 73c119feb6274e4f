/** One AI call of an active model on one study (kind finding), for positive-rate drift. */
export interface PositivityObservation {
  modelId: string;
  modelVersion: string;
  label: string;
  at: Date;
  positive: boolean;
}

/** A half-open time window [from, to). */
export interface TimeWindow {
  from: Date;
  to: Date;
}

export interface DriftOptions {
  baseline: TimeWindow;
  current: TimeWindow;
  /** |z| at or above which the rate is flagged as drifted (default 3). */
  zThreshold?: number;
  /** Fewer observations than this in either window: never flagged (default 30). */
  minCount?: number;
}

export interface RateInWindow {
  positives: number;
  n: number;
  rate: number | null;
}

export interface DriftFigure {
  modelId: string;
  modelVersion: string;
  label: string;
  baseline: RateInWindow;
  current: RateInWindow;
  /** current rate minus baseline rate; null when either window is empty. */
  difference: number | null;
  /** Two-proportion z statistic (pooled); null when either window is empty or the pooled rate is 0 or 1. */
  z: number | null;
  drifted: boolean;
}

function inWindow(at: Date, w: TimeWindow): boolean {
  return at.getTime() >= w.from.getTime() && at.getTime() < w.to.getTime();
}

function rate(positives: number, n: number): RateInWindow {
  return { positives, n, rate: n === 0 ? null : positives / n };
}

/**
 * Drift of the AI positive rate per model, version and label: the current window against a baseline
 * window, with a pooled two-proportion z test.
 */
export function positiveRateDrift(observations: PositivityObservation[], opts: DriftOptions): DriftFigure[] {
  const zThreshold = opts.zThreshold ?? 3;
  const minCount = opts.minCount ?? 30;
  const tallies = new Map<string, { key: [string, string, string]; b: [number, number]; c: [number, number] }>();
  for (const o of observations) {
    const inBaseline = inWindow(o.at, opts.baseline);
    const inCurrent = inWindow(o.at, opts.current);
    if (!inBaseline && !inCurrent) continue;
    const id = JSON.stringify([o.modelId, o.modelVersion, o.label]);
    const t = tallies.get(id) ?? { key: [o.modelId, o.modelVersion, o.label], b: [0, 0], c: [0, 0] };
    if (inBaseline) {
      t.b[0] += o.positive ? 1 : 0;
      t.b[1] += 1;
    }
    if (inCurrent) {
      t.c[0] += o.positive ? 1 : 0;
      t.c[1] += 1;
    }
    tallies.set(id, t);
  }
  return [...tallies.values()]
    .sort((x, y) => (x.key.join('\u0000') < y.key.join('\u0000') ? -1 : 1))
    .map(({ key: [modelId, modelVersion, label], b, c }) => {
      const baseline = rate(b[0], b[1]);
      const current = rate(c[0], c[1]);
      let difference: number | null = null;
      let z: number | null = null;
      if (baseline.rate !== null && current.rate !== null) {
        difference = current.rate - baseline.rate;
        const pooled = (b[0] + c[0]) / (b[1] + c[1]);
        const se = Math.sqrt(pooled * (1 - pooled) * (1 / b[1] + 1 / c[1]));
        z = se > 0 ? difference / se : null;
      }
      const drifted = z !== null && Math.abs(z) >= zThreshold && b[1] >= minCount && c[1] >= minCount;
      return { modelId, modelVersion, label, baseline, current, difference, z, drifted };
    });
}
