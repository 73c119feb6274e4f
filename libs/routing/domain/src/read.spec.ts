import type { Finding, InferenceRun } from '@triage/contracts';
import { buildVerdicts, findingsToAnswer } from './read';

const finding = (label: string, positive: boolean, kind: 'finding' | 'quality' = 'finding'): Finding => ({
  label,
  kind,
  code: { system: 'http://radelement.org', code: `RDE-${label}`, display: label },
  probability: positive ? 0.9 : 0.1,
  threshold: 0.5,
  positive,
  critical: false,
});
const run = (modelId: string, mode: 'active' | 'shadow', findings: Finding[]): InferenceRun => ({
  modelId,
  modelVersion: '1.0.0',
  modelSha256: 'c'.repeat(64),
  mode,
  status: 'succeeded',
  startedAt: '2026-11-23T10:00:00Z',
  latencyMs: 3,
  findings,
});
const RUNS = [run('head', 'active', [finding('ich', true), finding('blank', false, 'quality')]), run('cxr', 'shadow', [finding('nodule', true)])];

describe('read verdicts', () => {
  it('answers only active-model findings of kind finding', () => {
    expect(findingsToAnswer(RUNS).map((f) => `${f.run.modelId}/${f.finding.label}`)).toEqual(['head/ich']);
  });

  it.each([
    ['confirmed', true],
    ['rejected', true],
  ] as const)('records a %s verdict with what the AI said', (verdict, aiPositive) => {
    const r = buildVerdicts(RUNS, [{ modelId: 'head', label: 'ich', verdict }]);
    expect(r).toEqual({ ok: true, verdicts: [{ label: 'ich', code: RUNS[0].findings[0].code, modelId: 'head', modelVersion: '1.0.0', aiPositive, verdict }] });
  });

  it.each([
    ['a missing verdict', [], ['missing verdict for ich of model head']],
    ['a shadow finding', [{ modelId: 'head', label: 'ich', verdict: 'confirmed' }, { modelId: 'cxr', label: 'nodule', verdict: 'confirmed' }], ['no AI finding nodule of an active model cxr on this study']],
    ['two verdicts for one finding', [{ modelId: 'head', label: 'ich', verdict: 'confirmed' }, { modelId: 'head', label: 'ich', verdict: 'rejected' }], ['more than one verdict for ich of model head']],
  ] as const)('rejects %s', (_name, inputs, problems) => {
    expect(buildVerdicts(RUNS, inputs)).toEqual({ ok: false, problems });
  });
});
