import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { effectiveMode, ManifestInvalidError, parseModelManifest } from './model-manifest';

const MANIFESTS = join(__dirname, '../../../../../models/manifests');
const load = (file: string) => JSON.parse(readFileSync(join(MANIFESTS, file), 'utf8')) as Record<string, unknown>;

describe('model manifests', () => {
  it('parses every committed manifest and each says it is not for clinical use', () => {
    const files = readdirSync(MANIFESTS).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThanOrEqual(2);
    for (const f of files) {
      const m = parseModelManifest(load(f));
      expect(`${m.id}.json`).toBe(f);
      expect(m.intendedUse).toMatch(/NOT for clinical use/);
      expect(m.weights.endsWith('.onnx')).toBe(true);
    }
  });

  it('rejects bad hashes, path-like weight names and inconsistent input sizes, naming the field', () => {
    const good = load('head-ct-hyperdensity.json');
    expect(() => parseModelManifest({ ...good, sha256: 'abc' })).toThrow(/sha256/);
    expect(() => parseModelManifest({ ...good, weights: '../../etc/passwd.onnx' })).toThrow(/weights/);
    expect(() => parseModelManifest({ ...good, mode: 'sometimes' })).toThrow(ManifestInvalidError);
    const input = { name: 'image', shape: [1, 1, 128, 128], layout: 'NCHW' };
    expect(() => parseModelManifest({ ...good, input })).toThrow(/does not match input/);
  });

  it('accepts unknown future keys and the roll-out block', () => {
    const m = parseModelManifest({ ...load('head-ct-hyperdensity.json'), futureKey: 1, rollout: { siteModes: { 'SITE-B': 'off' }, canaryPercent: 0 } });
    expect(m.rollout?.siteModes['SITE-B']).toBe('off');
  });
});

describe('effectiveMode', () => {
  const base = parseModelManifest(load('head-ct-hyperdensity.json'));

  it('is the manifest mode without a roll-out', () => {
    expect(effectiveMode(base, { studyInstanceUid: '1.2.3' })).toBe('active');
  });

  it('applies a per-site override', () => {
    const m = { ...base, rollout: { siteModes: { 'SITE-A': 'shadow' as const } } };
    expect(effectiveMode(m, { studyInstanceUid: '1.2.3', site: 'SITE-A' })).toBe('shadow');
    expect(effectiveMode(m, { studyInstanceUid: '1.2.3', site: 'SITE-B' })).toBe('active');
  });

  it('runs a canary share of studies active and the rest in shadow, stably per study', () => {
    const m = { ...base, rollout: { siteModes: {}, canaryPercent: 30 } };
    const uids = Array.from({ length: 1000 }, (_, i) => `1.2.826.0.1.${i}`);
    const active = uids.filter((u) => effectiveMode(m, { studyInstanceUid: u }) === 'active').length;
    expect(active).toBeGreaterThan(200);
    expect(active).toBeLessThan(400);
    expect(uids.map((u) => effectiveMode(m, { studyInstanceUid: u }))).toEqual(uids.map((u) => effectiveMode(m, { studyInstanceUid: u })));
  });
});
