import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_RULE_SET, type RuleSet } from '@triage/routing-domain';
import { ICH, run, startRouting, study, T0 } from './routing-test.harness';
import { runSimulateCli } from './simulate.cli';

// Draft: STAT orders become Critical.
const DRAFT: RuleSet = {
  ...DEFAULT_RULE_SET,
  version: '2026.12.0-draft',
  rules: DEFAULT_RULE_SET.rules.map((r) => (r.id === 'stat-order' ? { ...r, then: { priority: 'critical', score: 60 } } : r)),
};

const dir = mkdtempSync(join(tmpdir(), 'simulate-cli-'));
const draftFile = join(dir, 'draft.json');
writeFileSync(draftFile, JSON.stringify(DRAFT));
const stat = study('cxr', { orderPriority: 'stat' }, T0);
const plain = study('cxr', {}, T0);
const recorded = [stat, plain].map((s) => ({ study: s, runs: [run([], 'cxr')], decidedAt: T0.toISOString() }));

async function cli(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runSimulateCli(args, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('simulate CLI', () => {
  it.each([
    ['a JSON array', JSON.stringify(recorded)],
    ['JSON lines of priority.decided envelopes', recorded.map((r) => JSON.stringify({ type: 'priority.decided', payload: { ...r, priority: 'urgent' } })).join('\n')],
  ])('replays %s against the draft and prints what changes', async (_name, text) => {
    const file = join(dir, `recorded-${_name.length}.json`);
    writeFileSync(file, text);
    const r = await cli(['--draft', draftFile, '--studies', file, '--only-changed']);
    expect(r.code).toBe(0);
    expect(r.out.split('\n')).toEqual([
      'study' + ' '.repeat(stat.studyInstanceUid.length - 3) + 'current (2026.11.0)  draft (2026.12.0-draft)  change    rules',
      `${stat.studyInstanceUid}  urgent 60            critical 60              promoted`,
      '',
      '1 of 2 studies change',
      'promotions: urgent→critical 1',
      'demotions: none',
    ]);
  });

  it.each([
    ['no draft', ['--studies', 'x.json'], 'usage: simulate'],
    ['a missing file', ['--draft', draftFile, '--studies', join(dir, 'missing.json')], 'ENOENT'],
    ['an unknown option', ['--bogus'], "Unknown option '--bogus'"],
  ])('answers %s with exit 2', async (_name, args, message) => {
    const r = await cli(args);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
  });

  it('asks a running routing service to replay the studies it holds, and its API rejects a bad draft', async () => {
    const app = await startRouting();
    try {
      await app.send(stat, [run([], 'cxr')]);
      await app.send(study('head-ct', { patientClass: 'emergency' }, T0), [run([ICH])]);
      const r = await cli(['--draft', draftFile, '--routing-url', app.url, '--json']);
      expect(r.code).toBe(0);
      const result = JSON.parse(r.out);
      expect(result.summary).toEqual({ currentVersion: '2026.11.0', draftVersion: '2026.12.0-draft', total: 2, changed: 1, promotions: { 'urgent→critical': 1 }, demotions: {} });
      const bad = await app.http('POST', '/routing/simulate', { draft: { ...DRAFT, rules: [] } });
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({ error: 'INVALID_RULE_SET', message: 'invalid rule set: rules: Too small: expected array to have >=1 items' });
      expect((await app.http('GET', '/routing/rule-set')).body.version).toBe('2026.11.0');
    } finally {
      await app.close();
    }
  });
});
