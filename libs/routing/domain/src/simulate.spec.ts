import type { Finding, InferenceRun, StudyRef } from '@triage/contracts';
import { DEFAULT_RULE_SET } from './default-rule-set';
import { parseRuleSet, type RuleSet } from './rule-set.schema';
import { formatSimulation, simulate, type RecordedStudy } from './simulate';

const AT = '2026-11-22T10:00:00Z';
const NODULE: Finding = {
  label: 'nodule',
  kind: 'finding',
  code: { system: 'http://snomed.info/sct', code: '427359005', display: 'Lung nodule' },
  probability: 0.8,
  threshold: 0.5,
  positive: true,
  critical: false,
};

function rec(uid: string, ctx: Partial<StudyRef['context']>, findings: Finding[] = [], birthDate?: string): RecordedStudy {
  const runs: InferenceRun[] = findings.length
    ? [{ modelId: 'cxr', modelVersion: '1', modelSha256: 'c'.repeat(64), mode: 'active', status: 'succeeded', startedAt: AT, latencyMs: 1, findings }]
    : [];
  return {
    study: { studyInstanceUid: uid, modalities: ['CR'], bodyPart: 'CHEST', patient: { birthDate }, context: { patientClass: 'unknown', orderPriority: 'unknown', ...ctx }, receivedAt: AT },
    runs,
    decidedAt: AT,
  };
}

// Draft: STAT becomes critical, the emergency rule is dropped, an elderly rule is added.
function draft(): RuleSet {
  const rules = DEFAULT_RULE_SET.rules
    .filter((r) => r.id !== 'emergency-patient')
    .map((r) => (r.id === 'stat-order' ? { ...r, then: { priority: 'critical' as const, score: 60 } } : r));
  return parseRuleSet({
    ...DEFAULT_RULE_SET,
    version: '2026.12.0-draft',
    rules: [...rules, { id: 'elderly', when: { context: { minAgeYears: 85 } }, then: { priority: 'routine', score: 15 }, reason: 'Aged 85 or over' }],
  });
}

const RECORDED = [
  rec('1.1', { orderPriority: 'stat' }),
  rec('1.2', { patientClass: 'emergency' }),
  rec('1.3', { patientClass: 'emergency' }),
  rec('1.4', { patientClass: 'outpatient' }, [NODULE]),
  rec('1.5', {}, [], '1930-01-01'),
  rec('1.6', { patientClass: 'outpatient' }),
];

describe('simulate', () => {
  const result = simulate(DEFAULT_RULE_SET, draft(), RECORDED);
  const byUid = new Map(result.studies.map((s) => [s.studyInstanceUid, s]));

  it.each([
    ['1.1', 'urgent', 'critical', 'promoted', 0, [], []],
    ['1.2', 'urgent', 'routine', 'demoted', -50, ['fallback'], ['emergency-patient']],
    ['1.4', 'urgent', 'urgent', 'unchanged', 0, [], []],
    ['1.5', 'routine', 'routine', 'rescored', 15, ['elderly'], ['fallback']],
    ['1.6', 'routine', 'routine', 'unchanged', 0, [], []],
  ])('%s: %s → %s (%s)', (uid, from, to, change, delta, added, removed) => {
    const s = byUid.get(uid);
    expect(s?.current.priority).toBe(from);
    expect(s?.draft.priority).toBe(to);
    expect(s?.change).toBe(change);
    expect(s?.scoreDelta).toBe(delta);
    expect(s?.rulesAdded).toEqual(added);
    expect(s?.rulesRemoved).toEqual(removed);
  });

  it('stamps each side with its own rule-set version', () => {
    expect(byUid.get('1.1')?.current.ruleSetVersion).toBe('2026.11.0');
    expect(byUid.get('1.1')?.draft.ruleSetVersion).toBe('2026.12.0-draft');
  });

  it('counts promotions and demotions per priority pair', () => {
    expect(result.summary).toEqual({
      currentVersion: '2026.11.0',
      draftVersion: '2026.12.0-draft',
      total: 6,
      changed: 4,
      promotions: { 'urgent→critical': 1 },
      demotions: { 'urgent→routine': 2 },
    });
  });

  it('flags a reason-text-only change', () => {
    const reworded = parseRuleSet({ ...DEFAULT_RULE_SET, version: 'w', fallback: { ...DEFAULT_RULE_SET.fallback, reason: 'Nothing raised it' } });
    const r = simulate(DEFAULT_RULE_SET, reworded, [rec('2.1', {})]);
    expect(r.studies[0].change).toBe('reasons');
    expect(r.summary.changed).toBe(1);
  });

  it('evaluates age at the recorded decision time, so a replay is reproducible', () => {
    const turns85 = { ...rec('3.1', {}, [], '1941-11-23'), decidedAt: '2026-11-22T10:00:00Z' };
    const later = { ...turns85, decidedAt: '2026-11-24T10:00:00Z' };
    const r = simulate(DEFAULT_RULE_SET, draft(), [turns85, later]);
    expect(r.studies.map((s) => s.change)).toEqual(['unchanged', 'rescored']);
  });
});

describe('formatSimulation', () => {
  const text = formatSimulation(simulate(DEFAULT_RULE_SET, draft(), RECORDED));

  it('prints one aligned row per study with both versions in the header', () => {
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^study\s+current \(2026\.11\.0\)\s+draft \(2026\.12\.0-draft\)\s+change\s+rules$/);
    expect(lines[1]).toMatch(/^1\.1\s+urgent 60\s+critical 60\s+promoted$/);
    expect(lines[2]).toMatch(/^1\.2\s+urgent 50\s+routine 0\s+demoted\s+\+fallback -emergency-patient$/);
    expect(lines[1].indexOf('urgent')).toBe(lines[0].indexOf('current'));
  });

  it('ends with the summary and can hide unchanged studies', () => {
    expect(text).toContain('4 of 6 studies change\npromotions: urgent→critical 1\ndemotions: urgent→routine 2');
    const changedOnly = formatSimulation(simulate(DEFAULT_RULE_SET, draft(), RECORDED), true);
    expect(changedOnly).not.toMatch(/^1\.6 /m);
    expect(changedOnly).toMatch(/^1\.5 /m);
  });
});
