import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithSharedData, sharedDataDir, sharedDataPlan } from './shared-data.helper';

const present = mkdtempSync(join(tmpdir(), 'shared-data-'));
const absent = join(present, 'missing');
afterAll(() => rmSync(present, { recursive: true, force: true }));

describe('sharedDataDir', () => {
  it('is ../shared/data beside the clone', () => {
    expect(sharedDataDir('/work/main')).toBe('/work/shared/data');
  });
});

describe('sharedDataPlan', () => {
  it('runs the cases when the folder exists, states its absence locally, fails in CI', () => {
    expect(sharedDataPlan(present, true)).toBe('run');
    expect(sharedDataPlan(present, false)).toBe('run');
    expect(sharedDataPlan(absent, false)).toBe('absent-local');
    expect(sharedDataPlan(absent, true)).toBe('absent-ci');
  });
});

const ran: string[] = [];
describeWithSharedData(
  'describeWithSharedData with the folder present',
  () => {
    it('runs the cases it was given', () => {
      ran.push('present');
      expect(ran).toContain('present');
    });
  },
  { dir: present, ci: false },
);

describeWithSharedData(
  'describeWithSharedData with the folder absent on a local clone',
  () => {
    it('is never registered', () => {
      throw new Error('cases needing absent shared data must not run');
    });
  },
  { dir: absent, ci: false },
);
