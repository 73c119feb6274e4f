import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './repo-root.helper';

describe('repoRoot', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = mkdtempSync(join(tmpdir(), 'repo-root-'));
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  it('finds the nearest folder holding nx.json', () => {
    const nested = join(tmp, 'ws', 'libs', 'a', 'src');
    mkdirSync(nested, { recursive: true });
    writeFileSync(join(tmp, 'ws', 'nx.json'), '{}');
    expect(repoRoot(nested)).toBe(join(tmp, 'ws'));
  });

  it('throws when no nx.json is above', () => {
    expect(() => repoRoot(tmp)).toThrow(/no nx.json found/);
  });

  it('finds this monorepo from the helper itself', () => {
    expect(existsSync(join(repoRoot(), 'nx.json'))).toBe(true);
  });
});
