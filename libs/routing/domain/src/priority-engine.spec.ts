import type { Finding, InferenceRun, StudyRef } from '@triage/contracts';
import { DEFAULT_RULE_SET } from './default-rule-set';
import { ageInYears, decidePriority } from './priority-engine';
import { parseRuleSet } from './rule-set.schema';

const NOW = new Date('2026-11-22T10:00:00Z');

function study(overrides: Partial<StudyRef['context']> = {}, birthDate?: string): StudyRef {
  return {
    studyInstanceUid: '1.2.3',
    modalities: ['CT'],
    bodyPart: 'HEAD',
    patient: { id: 'P1', birthDate },
    context: { patientClass: 'unknown', orderPriority: 'unknown', ...overrides },
    receivedAt: NOW.toISOString(),
  };
}

function run(mode: 'active' | 'shadow', finding: Partial<Finding>): InferenceRun {
  return {
    modelId: 'head-ct-hyperdensity',
    modelVersion: '1.0.0',
    modelSha256: 'a'.repeat(64),
    mode,
    status: 'succeeded',
    startedAt: NOW.toISOString(),
    latencyMs: 12,
    findings: [
      {
        label: 'hyperdensity',
        kind: 'finding',
        code: { system: 'http://radelement.org', code: 'RDE1234', display: 'Intracranial hemorrhage' },
        probability: 0.97,
        threshold: 0.5,
        positive: true,
        critical: true,
        ...finding,
      },
    ],
  };
}

describe('decidePriority', () => {
  it('makes a positive critical finding Critical and names the model and probability', () => {
    const d = decidePriority(DEFAULT_RULE_SET, study(), [run('active', {})], NOW);
    expect(d.priority).toBe('critical');
    expect(d.score).toBe(100);
    expect(d.reasons[0]).toEqual({
      ruleId: 'critical-ai-finding',
      text: 'AI pre-read flags Intracranial hemorrhage (probability 0.97, threshold 0.50, model head-ct-hyperdensity 1.0.0)',
    });
    expect(d.ruleSetVersion).toBe(DEFAULT_RULE_SET.version);
  });

  it('ignores shadow-mode findings entirely', () => {
    const d = decidePriority(DEFAULT_RULE_SET, study(), [run('shadow', {})], NOW);
    expect(d.priority).toBe('routine');
    expect(d.reasons.map((r) => r.ruleId)).toEqual(['fallback']);
  });

  it('ignores negative findings and falls back to routine with a stated reason', () => {
    const d = decidePriority(DEFAULT_RULE_SET, study(), [run('active', { positive: false, probability: 0.1 })], NOW);
    expect(d).toMatchObject({ priority: 'routine', score: 0 });
    expect(d.reasons[0].text).toMatch(/No AI finding/);
  });

  it('raises STAT emergency studies to urgent and adds the scores of every fired rule', () => {
    const d = decidePriority(DEFAULT_RULE_SET, study({ orderPriority: 'stat', patientClass: 'emergency' }), [], NOW);
    expect(d.priority).toBe('urgent');
    expect(d.score).toBe(110);
    expect(d.reasons.map((r) => r.ruleId)).toEqual(['stat-order', 'emergency-patient']);
  });

  it('keeps Critical above context and lists the critical reason first', () => {
    const d = decidePriority(DEFAULT_RULE_SET, study({ patientClass: 'emergency' }), [run('active', {})], NOW);
    expect(d.priority).toBe('critical');
    expect(d.reasons.map((r) => r.ruleId)).toEqual(['critical-ai-finding', 'emergency-patient']);
  });

  it('applies age conditions only when the birth date is known', () => {
    const rs = parseRuleSet({
      id: 't',
      version: '1',
      rules: [{ id: 'elderly', when: { context: { minAgeYears: 80 } }, then: { priority: 'urgent', score: 5 }, reason: 'Aged 80 or over' }],
      fallback: { priority: 'routine', score: 0, reason: 'none' },
    });
    expect(decidePriority(rs, study({}, '1940-01-01'), [], NOW).priority).toBe('urgent');
    expect(decidePriority(rs, study({}, '1990-01-01'), [], NOW).priority).toBe('routine');
    expect(decidePriority(rs, study({}), [], NOW).priority).toBe('routine');
  });
});

describe('ageInYears', () => {
  it('counts whole years and handles a birthday later in the year', () => {
    expect(ageInYears('2000-11-23', NOW)).toBe(25);
    expect(ageInYears('2000-11-22', NOW)).toBe(26);
    expect(ageInYears(undefined, NOW)).toBeUndefined();
  });
});

describe('parseRuleSet', () => {
  it('rejects duplicate rule ids and unknown keys with the path named', () => {
    expect(() =>
      parseRuleSet({
        id: 'x',
        version: '1',
        rules: [
          { id: 'a', when: {}, then: { priority: 'routine', score: 0 }, reason: 'r' },
          { id: 'a', when: { bogus: 1 }, then: { priority: 'routine', score: 0 }, reason: 'r' },
        ],
        fallback: { priority: 'routine', score: 0, reason: 'f' },
      }),
    ).toThrow(/rules/);
  });
});
