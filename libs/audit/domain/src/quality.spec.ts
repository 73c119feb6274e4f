import { positiveRateDrift } from './drift';
import { buildLabelManifest } from './label-manifest';
import { computeQuality, wilson } from './quality';
import { constructedQualityCases } from './quality.fixture';

describe('computeQuality on a constructed set (hand-computed answers)', () => {
  const report = computeQuality(constructedQualityCases());
  const group = (modelId: string, site: string | null, label: string) => report.groups.find((g) => g.modelId === modelId && g.site === site && g.label === label);

  it('counts the latest signed read per study and label: the amendment supersedes', () => {
    expect(report.cases).toBe(11);
  });

  it('per model, version, site and label: counts, sensitivity, specificity, PPV', () => {
    const a = group('ich-ct', 'A', 'ich')!;
    expect(a.counts).toEqual({ tp: 2, fp: 1, tn: 3, fn: 1 });
    expect(a.n).toBe(7);
    expect(a.sensitivity?.value).toBeCloseTo(2 / 3, 12);
    expect(a.specificity?.value).toBeCloseTo(3 / 4, 12);
    expect(a.ppv?.value).toBeCloseTo(2 / 3, 12);
    expect(a.npv?.value).toBeCloseTo(3 / 4, 12);
    expect(a.sensitivity).toMatchObject({ numerator: 2, denominator: 3 });

    const b = group('ich-ct', 'B', 'ich')!;
    expect(b.counts).toEqual({ tp: 1, fp: 0, tn: 2, fn: 0 });
    expect(b.sensitivity?.value).toBe(1);
    expect(b.specificity?.value).toBe(1);
    expect(b.ppv?.value).toBe(1);

    const cxr = group('cxr', 'A', 'pneumothorax')!;
    expect(cxr.counts).toEqual({ tp: 1, fp: 0, tn: 0, fn: 0 });
    expect(cxr.specificity).toBeNull(); // no negatives: undefined, not 0
    expect(report.groups).toHaveLength(3);
  });

  it('the same figures per subgroup: sex, age band, site', () => {
    const sub = (dimension: string, value: string) => report.subgroups.find((s) => s.modelId === 'ich-ct' && s.dimension === dimension && s.value === value)!;
    expect(sub('sex', 'F').counts).toEqual({ tp: 1, fp: 1, tn: 2, fn: 1 });
    expect(sub('sex', 'F').sensitivity?.value).toBe(0.5);
    expect(sub('sex', 'F').specificity?.value).toBeCloseTo(2 / 3, 12);
    expect(sub('sex', 'M').counts).toEqual({ tp: 2, fp: 0, tn: 2, fn: 0 });
    expect(sub('sex', 'unknown').counts).toEqual({ tp: 0, fp: 0, tn: 1, fn: 0 });
    expect(sub('ageBand', '65+').counts).toEqual({ tp: 1, fp: 1, tn: 1, fn: 1 });
    expect(sub('ageBand', '40-64').counts).toEqual({ tp: 0, fp: 0, tn: 3, fn: 0 });
    expect(sub('site', 'A').counts).toEqual({ tp: 2, fp: 1, tn: 3, fn: 1 });
  });

  it('lists the discrepancies for peer review, newest first', () => {
    expect(report.discrepancies.map((d) => [d.kind, d.studyKey, d.readId])).toEqual([
      ['ai-negative-read-positive', 'a7', 'r-a7'],
      ['ai-positive-read-negative', 'a3', 'r-a3'],
    ]);
  });

  it('Wilson 95 % interval of 2/3', () => {
    const [lo, hi] = wilson(2, 3);
    expect(lo).toBeCloseTo(0.2077, 4);
    expect(hi).toBeCloseTo(0.9385, 4);
    expect(group('ich-ct', 'A', 'ich')!.sensitivity?.ci95[0]).toBeCloseTo(0.2077, 4);
  });
});

describe('positiveRateDrift', () => {
  const at = (day: number) => new Date(Date.UTC(2026, 10, day, 12));
  const obs = (day: number, n: number, positives: number) =>
    Array.from({ length: n }, (_, i) => ({ modelId: 'ich-ct', modelVersion: '2.0.0', label: 'ich', at: at(day), positive: i < positives }));
  const opts = { baseline: { from: at(1), to: at(10) }, current: { from: at(10), to: at(20) } };

  it('baseline 10/100 against current 15/50: difference 0.2, pooled z 3.098, flagged', () => {
    const [d] = positiveRateDrift([...obs(2, 100, 10), ...obs(12, 50, 15), ...obs(25, 10, 10)], opts);
    expect(d.baseline).toEqual({ positives: 10, n: 100, rate: 0.1 });
    expect(d.current).toEqual({ positives: 15, n: 50, rate: 0.3 });
    expect(d.difference).toBeCloseTo(0.2, 12);
    expect(d.z).toBeCloseTo(3.0984, 4);
    expect(d.drifted).toBe(true);
  });

  it('not flagged under the threshold, below the minimum count, or without a baseline', () => {
    expect(positiveRateDrift([...obs(2, 100, 10), ...obs(12, 50, 15)], { ...opts, zThreshold: 3.5 })[0].drifted).toBe(false);
    expect(positiveRateDrift([...obs(2, 100, 10), ...obs(12, 50, 15)], { ...opts, minCount: 60 })[0].drifted).toBe(false);
    const [none] = positiveRateDrift(obs(12, 50, 15), opts);
    expect(none).toMatchObject({ baseline: { n: 0, rate: null }, difference: null, z: null, drifted: false });
  });
});

describe('buildLabelManifest', () => {
  it('one entry per study under a pseudonym, corrected labels, no identifiers or dates', () => {
    const m = buildLabelManifest(constructedQualityCases(), (k) => `P-${k.toUpperCase()}`);
    expect(m).toMatchObject({ kind: 'triage-mesh/corrected-labels', studies: 10, labels: 11 });
    const a3 = m.items.find((i) => i.key === 'P-A3')!;
    expect(a3).toEqual({
      key: 'P-A3',
      site: 'A',
      ageBand: '65+',
      sex: 'F',
      modalities: ['CT'],
      bodyPart: 'HEAD',
      labels: [{ label: 'ich', code: { system: 'http://radelement.org', code: 'RDE1' }, value: false, aiPositive: true, corrected: true, modelId: 'ich-ct', modelVersion: '2.0.0' }],
    });
    expect(m.items.find((i) => i.key === 'P-B2')!.labels[0]).toMatchObject({ value: false, corrected: false });
    const text = JSON.stringify(m);
    expect(text).not.toMatch(/"a3"|r-a3|2026-/);
  });
});
