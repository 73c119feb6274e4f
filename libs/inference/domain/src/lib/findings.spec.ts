import { activate, aggregate, decodeFindings } from './findings';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseModelManifest } from './model-manifest';

const MANIFESTS = join(__dirname, '../../../../../models/manifests');

describe('activation and aggregation', () => {
  it('applies sigmoid, softmax or nothing', () => {
    expect(activate([0], 'sigmoid')).toEqual([0.5]);
    const sm = activate([1, 1, 1, 1], 'softmax');
    expect(sm).toEqual([0.25, 0.25, 0.25, 0.25]);
    expect(activate([0.3], 'none')).toEqual([0.3]);
    expect(activate([1000, 0], 'softmax')[0]).toBeCloseTo(1, 10);
  });

  it('aggregates slices element-wise by max or mean', () => {
    const slices = [
      [0.1, 0.9],
      [0.5, 0.1],
      [0.3, 0.2],
    ];
    expect(aggregate(slices, 'max')).toEqual([0.5, 0.9]);
    const mean = aggregate(slices, 'mean');
    expect(mean[0]).toBeCloseTo(0.3, 10);
    expect(mean[1]).toBeCloseTo(0.4, 10);
    expect(() => aggregate([], 'max')).toThrow();
  });
});

describe('decodeFindings', () => {
  const manifest = parseModelManifest(JSON.parse(readFileSync(join(MANIFESTS, 'head-ct-hyperdensity.json'), 'utf8')));

  it('marks a label positive at or above its threshold and carries code and critical flag', () => {
    const [f] = decodeFindings(manifest, [0.5]);
    expect(f).toMatchObject({ label: 'intracranial-hemorrhage', probability: 0.5, threshold: 0.5, positive: true, critical: true });
    expect(f.code.code).toBe('RDES194');
    expect(decodeFindings(manifest, [0.4999])[0].positive).toBe(false);
  });

  it('clamps out-of-range and non-finite outputs into 0..1', () => {
    expect(decodeFindings(manifest, [1.7])[0].probability).toBe(1);
    expect(decodeFindings(manifest, [Number.NaN])[0]).toMatchObject({ probability: 0, positive: false });
  });

  it('fails when the output is shorter than the labels need', () => {
    expect(() => decodeFindings(manifest, [])).toThrow(/index 0/);
  });
});
