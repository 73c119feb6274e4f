import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { canaryBucket, effectiveMode, ManifestInvalidError, modesInUse, parseModelManifest, type ModelManifest } from './model-manifest';

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
    const m = { ...base, rollout: { siteModes: { 'SITE-A': 'shadow' as const }, sites: {} } };
    expect(effectiveMode(m, { studyInstanceUid: '1.2.3', site: 'SITE-A' })).toBe('shadow');
    expect(effectiveMode(m, { studyInstanceUid: '1.2.3', site: 'SITE-B' })).toBe('active');
  });

  it('runs a canary share of studies active and the rest in shadow, stably per study', () => {
    const m = { ...base, rollout: { siteModes: {}, sites: {}, canaryPercent: 30 } };
    const uids = Array.from({ length: 1000 }, (_, i) => `1.2.826.0.1.${i}`);
    const active = uids.filter((u) => effectiveMode(m, { studyInstanceUid: u }) === 'active').length;
    expect(active).toBeGreaterThan(200);
    expect(active).toBeLessThan(400);
    expect(uids.map((u) => effectiveMode(m, { studyInstanceUid: u }))).toEqual(uids.map((u) => effectiveMode(m, { studyInstanceUid: u })));
  });

  const uids = Array.from({ length: 2000 }, (_, i) => `2.25.${1000003 * i + 17}`);
  const withRollout = (rollout: Partial<NonNullable<ModelManifest['rollout']>>, mode: ModelManifest['mode'] = 'active'): ModelManifest =>
    parseModelManifest({ ...load('head-ct-hyperdensity.json'), mode, rollout });
  const activeAt = (m: ModelManifest, site?: string) => new Set(uids.filter((u) => effectiveMode(m, { studyInstanceUid: u, site }) === 'active'));

  it('keeps every study of a smaller canary when the share is raised, and 0 % / 100 % mean none / all', () => {
    const ten = activeAt(withRollout({ canaryPercent: 10 }));
    const thirty = activeAt(withRollout({ canaryPercent: 30 }));
    expect(ten.size / uids.length).toBeGreaterThan(0.07);
    expect(ten.size / uids.length).toBeLessThan(0.13);
    for (const u of ten) expect(thirty.has(u)).toBe(true);
    expect(activeAt(withRollout({ canaryPercent: 0 })).size).toBe(0);
    expect(activeAt(withRollout({ canaryPercent: 100 })).size).toBe(uids.length);
    // The split is FNV-1a of the UID mod 100; pinned, since changing it would reshuffle running canaries.
    expect(canaryBucket('1.2.840.113619.2.55.3')).toBe(40);
    expect(uids.map(canaryBucket).every((b) => Number.isInteger(b) && b >= 0 && b < 100)).toBe(true);
  });

  it('takes the mode and the canary share per site, and never promotes a shadow or off model', () => {
    const m = withRollout({ canaryPercent: 50, sites: { 'SITE-A': { canaryPercent: 100 }, 'SITE-B': { mode: 'off' }, 'SITE-C': { mode: 'active', canaryPercent: 0 } } }, 'shadow');
    // The model is in shadow everywhere but where a site says active.
    expect(activeAt(m).size).toBe(0);
    expect(activeAt(m, 'SITE-A').size).toBe(0);
    expect(effectiveMode(m, { studyInstanceUid: uids[0], site: 'SITE-B' })).toBe('off');
    expect(activeAt(m, 'SITE-C').size).toBe(0);
    const a = withRollout({ canaryPercent: 50, sites: { 'SITE-A': { canaryPercent: 100 }, 'SITE-C': { canaryPercent: 0 } } });
    expect(activeAt(a, 'SITE-A').size).toBe(uids.length);
    expect(activeAt(a, 'SITE-C').size).toBe(0);
    const other = activeAt(a, 'SITE-Z').size / uids.length;
    expect(other).toBeGreaterThan(0.45);
    expect(other).toBeLessThan(0.55);
  });

  it('loads a model that is off by default but on at one site', () => {
    expect(modesInUse(withRollout({}, 'off'))).toEqual(['off']);
    expect(modesInUse(withRollout({ sites: { 'SITE-A': { mode: 'shadow' } } }, 'off'))).toEqual(['off', 'shadow']);
    expect(modesInUse(withRollout({ siteModes: { 'SITE-A': 'active' } }, 'off'))).toEqual(['off', 'active']);
  });
});
