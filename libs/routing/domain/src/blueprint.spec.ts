import type { Finding, InferenceRun, Priority, StudyRef } from '@triage/contracts';
import { DEFAULT_RULE_SET } from './default-rule-set';
import { decidePriority } from './priority-engine';

// The customer's blueprint cases, table-driven over the shipped rule set.
const NOW = new Date('2026-11-22T10:00:00Z');

function study(modality: string, bodyPart: string, ctx: Partial<StudyRef['context']>, birthDate?: string): StudyRef {
  return {
    studyInstanceUid: '1.2.840.1',
    modalities: [modality],
    bodyPart,
    patient: { birthDate },
    context: { patientClass: 'unknown', orderPriority: 'unknown', ...ctx },
    receivedAt: NOW.toISOString(),
  };
}

const ICH: Finding = {
  label: 'hyperdensity',
  kind: 'finding',
  code: { system: 'http://radelement.org', code: 'RDE1234', display: 'Intracranial hemorrhage' },
  probability: 0.91,
  threshold: 0.5,
  positive: true,
  critical: true,
};
const NODULE: Finding = { ...ICH, label: 'nodule', code: { system: 'http://snomed.info/sct', code: '427359005', display: 'Lung nodule' }, probability: 0.7, critical: false };

function run(findings: Finding[], mode: 'active' | 'shadow' = 'active', status: 'succeeded' | 'failed' = 'succeeded'): InferenceRun {
  return { modelId: 'm', modelVersion: '2.1.0', modelSha256: 'b'.repeat(64), mode, status, startedAt: NOW.toISOString(), latencyMs: 5, findings };
}

interface Case {
  name: string;
  study: StudyRef;
  runs: InferenceRun[];
  priority: Priority;
  score: number;
  reasons: string[];
}

const CASES: Case[] = [
  {
    name: 'suspected intracranial haemorrhage on an ED head CT',
    study: study('CT', 'HEAD', { patientClass: 'emergency' }),
    runs: [run([ICH])],
    priority: 'critical',
    score: 150,
    reasons: ['AI pre-read flags Intracranial hemorrhage (probability 0.91, threshold 0.50, model m 2.1.0)', 'Emergency department patient'],
  },
  {
    name: 'routine outpatient chest X-ray with no finding',
    study: study('CR', 'CHEST', { patientClass: 'outpatient', orderPriority: 'routine' }),
    runs: [run([{ ...NODULE, probability: 0.1, positive: false }])],
    priority: 'routine',
    score: 0,
    reasons: ['No AI finding or order context raised the priority'],
  },
  {
    name: 'STAT inpatient abdomen CT without AI',
    study: study('CT', 'ABDOMEN', { patientClass: 'inpatient', orderPriority: 'stat' }),
    runs: [],
    priority: 'urgent',
    score: 60,
    reasons: ['Ordered STAT'],
  },
  {
    name: 'ED chest X-ray, no finding',
    study: study('DX', 'CHEST', { patientClass: 'emergency' }),
    runs: [run([])],
    priority: 'urgent',
    score: 50,
    reasons: ['Emergency department patient'],
  },
  {
    name: 'non-critical positive finding on an outpatient chest CT',
    study: study('CT', 'CHEST', { patientClass: 'outpatient' }),
    runs: [run([NODULE])],
    priority: 'urgent',
    score: 40,
    reasons: ['AI pre-read flags Lung nodule (probability 0.70, threshold 0.50, model m 2.1.0)'],
  },
  {
    name: 'shadow-mode haemorrhage finding on an outpatient head CT',
    study: study('CT', 'HEAD', { patientClass: 'outpatient' }),
    runs: [run([ICH], 'shadow')],
    priority: 'routine',
    score: 0,
    reasons: ['No AI finding or order context raised the priority'],
  },
  {
    name: 'failed run on an ED head CT keeps the context priority only',
    study: study('CT', 'HEAD', { patientClass: 'emergency' }),
    runs: [run([ICH], 'active', 'failed')],
    priority: 'urgent',
    score: 50,
    reasons: ['Emergency department patient'],
  },
  {
    name: 'STAT ED head CT with haemorrhage and an elderly patient',
    study: study('CT', 'HEAD', { patientClass: 'emergency', orderPriority: 'stat' }, '1930-05-01'),
    runs: [run([ICH])],
    priority: 'critical',
    score: 210,
    reasons: [
      'AI pre-read flags Intracranial hemorrhage (probability 0.91, threshold 0.50, model m 2.1.0)',
      'Ordered STAT',
      'Emergency department patient',
    ],
  },
];

describe('blueprint cases over DEFAULT_RULE_SET', () => {
  it.each(CASES)('$name → $priority', (c) => {
    const d = decidePriority(DEFAULT_RULE_SET, c.study, c.runs, NOW);
    expect(d.priority).toBe(c.priority);
    expect(d.score).toBe(c.score);
    expect(d.reasons.map((r) => r.text)).toEqual(c.reasons);
    expect(d.ruleSetVersion).toBe('2026.11.0');
  });

  it('does not use age in the shipped rules: the same study decides alike at any age', () => {
    const young = decidePriority(DEFAULT_RULE_SET, study('CT', 'HEAD', {}, '2020-01-01'), [], NOW);
    const old = decidePriority(DEFAULT_RULE_SET, study('CT', 'HEAD', {}, '1930-01-01'), [], NOW);
    expect(young.priority).toBe('routine');
    expect(old).toEqual(young);
  });
});
