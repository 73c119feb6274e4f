import type { AgeBand } from './demographics';

/** One AI finding of an active model with the signed read's verdict on it. */
export interface QualityCase {
  /** Identifies the study inside the audit store (StudyInstanceUID); never exported as is. */
  studyKey: string;
  readId: string;
  signedAt: Date;
  modelId: string;
  modelVersion: string;
  label: string;
  code: { system: string; code: string };
  site: string | null;
  ageBand: AgeBand | string;
  sex: string | null;
  aiPositive: boolean;
  /** What the signed read says: aiPositive when the verdict is confirmed, its negation when rejected. */
  readPositive: boolean;
}

export interface ConfusionCounts {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

/** A proportion with its Wilson score 95 % interval; null when the denominator is 0. */
export interface Proportion {
  value: number;
  numerator: number;
  denominator: number;
  ci95: [number, number];
}

export interface QualityFigures {
  counts: ConfusionCounts;
  n: number;
  sensitivity: Proportion | null;
  specificity: Proportion | null;
  ppv: Proportion | null;
  npv: Proportion | null;
}

export interface QualityGroup extends QualityFigures {
  modelId: string;
  modelVersion: string;
  site: string | null;
  label: string;
}

export const SUBGROUP_DIMENSIONS = ['ageBand', 'sex', 'site'] as const;
export type SubgroupDimension = (typeof SUBGROUP_DIMENSIONS)[number];

export interface QualitySubgroup extends QualityFigures {
  modelId: string;
  modelVersion: string;
  label: string;
  dimension: SubgroupDimension;
  /** The subgroup's value; 'unknown' when the study did not say. */
  value: string;
}

export type DiscrepancyKind = 'ai-positive-read-negative' | 'ai-negative-read-positive';

export interface Discrepancy {
  kind: DiscrepancyKind;
  studyKey: string;
  readId: string;
  signedAt: string;
  modelId: string;
  modelVersion: string;
  label: string;
  code: { system: string; code: string };
  site: string | null;
}

export interface QualityReport {
  /** Cases counted, after amendments superseded earlier reads. */
  cases: number;
  groups: QualityGroup[];
  subgroups: QualitySubgroup[];
  discrepancies: Discrepancy[];
}

/** Wilson score interval at 95 % (z = 1.96): sensible at small n and at 0 or 1, unlike the normal approximation. */
export function wilson(numerator: number, denominator: number): [number, number] {
  if (denominator === 0) return [0, 1];
  const z = 1.959964;
  const p = numerator / denominator;
  const z2n = (z * z) / denominator;
  const centre = (p + z2n / 2) / (1 + z2n);
  const half = (z * Math.sqrt((p * (1 - p)) / denominator + z2n / (4 * denominator))) / (1 + z2n);
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

function proportion(numerator: number, denominator: number): Proportion | null {
  return denominator === 0 ? null : { value: numerator / denominator, numerator, denominator, ci95: wilson(numerator, denominator) };
}

/** Sensitivity, specificity, PPV and NPV of a confusion matrix. */
export function figuresOf(counts: ConfusionCounts): QualityFigures {
  const { tp, fp, tn, fn } = counts;
  return {
    counts: { ...counts },
    n: tp + fp + tn + fn,
    sensitivity: proportion(tp, tp + fn),
    specificity: proportion(tn, tn + fp),
    ppv: proportion(tp, tp + fp),
    npv: proportion(tn, tn + fn),
  };
}

function tally(cases: QualityCase[]): ConfusionCounts {
  const c: ConfusionCounts = { tp: 0, fp: 0, tn: 0, fn: 0 };
  for (const x of cases) {
    if (x.aiPositive && x.readPositive) c.tp += 1;
    else if (x.aiPositive) c.fp += 1;
    else if (x.readPositive) c.fn += 1;
    else c.tn += 1;
  }
  return c;
}

/** The newest signed read wins per study, model version and label: an amendment replaces the final read. */
export function latestVerdicts(cases: QualityCase[]): QualityCase[] {
  const latest = new Map<string, QualityCase>();
  for (const c of cases) {
    const key = JSON.stringify([c.studyKey, c.modelId, c.modelVersion, c.label]);
    const prev = latest.get(key);
    if (!prev || c.signedAt.getTime() > prev.signedAt.getTime() || (c.signedAt.getTime() === prev.signedAt.getTime() && c.readId > prev.readId)) {
      latest.set(key, c);
    }
  }
  return [...latest.values()];
}

function groupBy<T>(items: T[], key: (item: T) => unknown[]): Array<[unknown[], T[]]> {
  const groups = new Map<string, { key: unknown[]; items: T[] }>();
  for (const item of items) {
    const k = key(item);
    const id = JSON.stringify(k);
    const g = groups.get(id) ?? { key: k, items: [] };
    g.items.push(item);
    groups.set(id, g);
  }
  return [...groups.values()].sort((a, b) => compareKeys(a.key, b.key)).map((g) => [g.key, g.items]);
}

function compareKeys(a: unknown[], b: unknown[]): number {
  for (let i = 0; i < a.length; i++) {
    const x = String(a[i] ?? '');
    const y = String(b[i] ?? '');
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

function subgroupValue(c: QualityCase, dimension: SubgroupDimension): string {
  return (dimension === 'ageBand' ? c.ageBand : dimension === 'sex' ? c.sex : c.site) ?? 'unknown';
}

/**
 * AI against the signed read: counts and figures per model, version, site and label; the same per
 * subgroup (age band, sex, site) to expose bias; and the discrepancies for peer review.
 */
export function computeQuality(input: QualityCase[]): QualityReport {
  const cases = latestVerdicts(input);
  const groups = groupBy(cases, (c) => [c.modelId, c.modelVersion, c.site, c.label]).map(([[modelId, modelVersion, site, label], items]) => ({
    modelId: modelId as string,
    modelVersion: modelVersion as string,
    site: site as string | null,
    label: label as string,
    ...figuresOf(tally(items)),
  }));
  const subgroups = SUBGROUP_DIMENSIONS.flatMap((dimension) =>
    groupBy(cases, (c) => [c.modelId, c.modelVersion, c.label, subgroupValue(c, dimension)]).map(([[modelId, modelVersion, label, value], items]) => ({
      modelId: modelId as string,
      modelVersion: modelVersion as string,
      label: label as string,
      dimension,
      value: value as string,
      ...figuresOf(tally(items)),
    })),
  );
  const discrepancies = cases
    .filter((c) => c.aiPositive !== c.readPositive)
    .sort((a, b) => b.signedAt.getTime() - a.signedAt.getTime() || compareKeys([a.studyKey, a.label], [b.studyKey, b.label]))
    .map(
      (c): Discrepancy => ({
        kind: c.aiPositive ? 'ai-positive-read-negative' : 'ai-negative-read-positive',
        studyKey: c.studyKey,
        readId: c.readId,
        signedAt: c.signedAt.toISOString(),
        modelId: c.modelId,
        modelVersion: c.modelVersion,
        label: c.label,
        code: c.code,
        site: c.site,
      }),
    );
  return { cases: cases.length, groups, subgroups, discrepancies };
}
