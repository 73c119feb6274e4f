import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { repoRoot } from './repo-root.helper';

/** `../shared/data` beside the clone: test DICOM files and other samples too large for the repository. */
export function sharedDataDir(root: string = repoRoot()): string {
  return resolve(root, '..', 'shared', 'data');
}

/** Whether the shared data folder exists. */
export function hasSharedData(dir: string = sharedDataDir()): boolean {
  return existsSync(dir);
}

export interface SharedDataOptions {
  /** Overrides the folder (tests of this helper). */
  dir?: string;
  /** Overrides process.env.CI (tests of this helper). */
  ci?: boolean;
}

/** What describeWithSharedData does: run the cases, state the folder's absence, or fail (CI). */
export type SharedDataPlan = 'run' | 'absent-local' | 'absent-ci';

/** Decides how shared-data cases behave for a folder and a CI flag. */
export function sharedDataPlan(dir: string, ci: boolean): SharedDataPlan {
  if (existsSync(dir)) return 'run';
  return ci ? 'absent-ci' : 'absent-local';
}

/**
 * `describe(name, fn)` for cases that need `../shared/data`. Without the folder, a clone used for local
 * work runs one test that states the folder is absent (and says so on the console); in CI the absence
 * is a failure with a clear message. Nothing is skipped silently.
 */
export function describeWithSharedData(name: string, fn: () => void, opts: SharedDataOptions = {}): void {
  const dir = opts.dir ?? sharedDataDir();
  const plan = sharedDataPlan(dir, opts.ci ?? process.env.CI === 'true');
  if (plan === 'run') {
    describe(name, fn);
    return;
  }
  describe(name, () => {
    if (plan === 'absent-ci') {
      it('needs the shared test data', () => {
        throw new Error(`${dir} is missing; CI must run with ../shared beside the clone (${join('..', 'shared', 'data')})`);
      });
      return;
    }
    it('steps aside: the shared test data folder is absent on this clone', () => {
      console.warn(`[${name}] ${dir} is absent: the cases that need ../shared/data step aside on this clone`);
      expect(existsSync(dir)).toBe(false);
    });
  });
}
