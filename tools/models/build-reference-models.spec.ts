import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildReferenceModels, MANIFESTS_DIR } from './build-reference-models';

describe('build-reference-models', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'triage-models-'));
    dirs.push(d);
    return d;
  };
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('rebuilds weights whose sha256 matches the committed manifests', () => {
    const built = buildReferenceModels(tempDir());
    expect(built.length).toBeGreaterThanOrEqual(2);
    for (const b of built) {
      const manifest = JSON.parse(readFileSync(join(MANIFESTS_DIR, `${b.id}.json`), 'utf8')) as { sha256: string; weights: string; version: string };
      const onDisk = createHash('sha256').update(readFileSync(b.path)).digest('hex');
      expect(onDisk).toBe(b.sha256);
      expect(manifest.weights).toBe(b.file);
      expect(manifest.version).toBe(b.version);
      expect(manifest.sha256).toBe(b.sha256);
    }
  });

  it('is byte-for-byte deterministic across builds', () => {
    const a = buildReferenceModels(tempDir());
    const b = buildReferenceModels(tempDir());
    expect(a.map((m) => readFileSync(m.path).toString('base64'))).toEqual(b.map((m) => readFileSync(m.path).toString('base64')));
  });
});
