import type { Priority, StudyRef } from '@triage/contracts';
import type { PriorityDecision } from './priority-engine';
import { parseRuleSet } from './rule-set.schema';
import { dueAt, formatMinutes, rescore, serviceLevelsOf, waitedMinutes, waitingScore } from './sla';
import { DEFAULT_SERVICE_LEVELS, type ServiceLevels } from './sla.schema';
import { DEFAULT_RULE_SET } from './default-rule-set';

const RECEIVED = '2026-11-22T08:00:00Z';
const at = (minutes: number) => new Date(new Date(RECEIVED).getTime() + minutes * 60_000);

const study: StudyRef = {
  studyInstanceUid: '1.2.3',
  modalities: ['CR'],
  bodyPart: 'CHEST',
  patient: {},
  context: { patientClass: 'outpatient', orderPriority: 'routine' },
  receivedAt: RECEIVED,
};

function decision(priority: Priority, score = 7): PriorityDecision {
  return { priority, score, reasons: [{ ruleId: 'r', text: 'original' }], ruleSetVersion: 'v1' };
}

describe('waitingScore', () => {
  it.each([
    [0, 60, 0],
    [30, 60, 0.5],
    [60, 60, 1],
    [90, 60, 1.5],
    [-10, 60, 0],
  ])('after %i min with a %i min level → %d', (waited, sla, expected) => {
    expect(waitingScore(RECEIVED, at(waited), sla)).toBe(expected);
  });

  it('counts whole minutes and treats an unparseable time as not waited', () => {
    expect(waitedMinutes(RECEIVED, new Date(at(5).getTime() + 59_000))).toBe(5);
    expect(waitedMinutes('not a date', at(5))).toBe(0);
  });
});

describe('dueAt / formatMinutes', () => {
  it('adds the level of the priority', () => {
    expect(dueAt(RECEIVED, 'critical').toISOString()).toBe('2026-11-22T08:15:00.000Z');
    expect(dueAt(RECEIVED, 'routine').toISOString()).toBe('2026-11-23T08:00:00.000Z');
  });
  it.each([
    [45, '45 min'],
    [120, '2 h'],
    [1510, '25 h 10 min'],
  ])('%i → %s', (m, text) => expect(formatMinutes(m)).toBe(text));
});

describe('rescore', () => {
  const CASES: Array<{ name: string; priority: Priority; waited: number; levels?: ServiceLevels; expected: Priority; reason?: string }> = [
    { name: 'routine within 24 h stays', priority: 'routine', waited: 24 * 60, expected: 'routine' },
    {
      name: 'routine past 24 h → urgent',
      priority: 'routine',
      waited: 25 * 60 + 10,
      expected: 'urgent',
      reason: 'Waited 25 h 10 min, past the routine service level of 24 h: promoted to urgent',
    },
    { name: 'urgent past 60 min stays urgent by default', priority: 'urgent', waited: 600, expected: 'urgent' },
    {
      name: 'urgent past 60 min → critical when the site asks for it',
      priority: 'urgent',
      waited: 61,
      levels: { ...DEFAULT_SERVICE_LEVELS, promote: { routine: 'urgent', urgent: 'critical' } },
      expected: 'critical',
      reason: 'Waited 1 h 1 min, past the urgent service level of 1 h: promoted to critical',
    },
    { name: 'critical is never promoted', priority: 'critical', waited: 10_000, expected: 'critical' },
    {
      name: 'a shorter site level promotes sooner',
      priority: 'routine',
      waited: 121,
      levels: { minutes: { critical: 10, urgent: 30, routine: 120 }, promote: { routine: 'urgent' } },
      expected: 'urgent',
      reason: 'Waited 2 h 1 min, past the routine service level of 2 h: promoted to urgent',
    },
  ];

  it.each(CASES)('$name', (c) => {
    const d = rescore(decision(c.priority), study, at(c.waited), c.levels);
    expect(d.priority).toBe(c.expected);
    expect(d.score).toBe(7);
    expect(d.ruleSetVersion).toBe('v1');
    if (c.reason) {
      expect(d.reasons.map((r) => r.text)).toEqual([c.reason, 'original']);
      expect(d.reasons[0].ruleId).toBe(`sla-${c.priority}`);
    } else {
      expect(d.reasons).toEqual([{ ruleId: 'r', text: 'original' }]);
    }
  });

  it('promotes once: a second rescore, even much later, leaves the decision alone', () => {
    const once = rescore(decision('routine'), study, at(25 * 60), {
      ...DEFAULT_SERVICE_LEVELS,
      promote: { routine: 'urgent', urgent: 'critical' },
    });
    const twice = rescore(once, study, at(100 * 60), { ...DEFAULT_SERVICE_LEVELS, promote: { routine: 'urgent', urgent: 'critical' } });
    expect(twice.priority).toBe('urgent');
    expect(twice.reasons.filter((r) => r.ruleId.startsWith('sla-'))).toHaveLength(1);
  });
});

describe('service levels in the rule set document', () => {
  it('uses the defaults when the document declares none', () => {
    expect(serviceLevelsOf(DEFAULT_RULE_SET).minutes).toEqual({ critical: 15, urgent: 60, routine: 1440 });
  });

  it('reads a declared block and rejects a bad one with the path named', () => {
    const base = { id: 's', version: '1', rules: [{ id: 'a', when: {}, then: { priority: 'routine', score: 0 }, reason: 'r' }], fallback: { priority: 'routine', score: 0, reason: 'f' } };
    const rs = parseRuleSet({ ...base, serviceLevels: { minutes: { critical: 5, urgent: 30, routine: 240 }, promote: {} } });
    expect(serviceLevelsOf(rs).minutes.routine).toBe(240);
    expect(() => parseRuleSet({ ...base, serviceLevels: { minutes: { critical: 0, urgent: 30, routine: 240 }, promote: {} } })).toThrow(
      /serviceLevels\.minutes\.critical/,
    );
    expect(() => parseRuleSet({ ...base, serviceLevels: { minutes: { critical: 5, urgent: 30, routine: 240 }, promote: { urgent: 'routine' } } })).toThrow(
      /serviceLevels\.promote\.urgent/,
    );
  });
});
