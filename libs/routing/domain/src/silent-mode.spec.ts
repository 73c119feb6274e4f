import type { Finding, InferenceRun, StudyRef } from '@triage/contracts';
import { DEFAULT_RULE_SET } from './default-rule-set';
import { decideWithSilentMode } from './silent-mode';

const NOW = new Date('2026-11-23T10:00:00Z');
const ICH: Finding = { label: 'ich', kind: 'finding', code: { system: 'http://radelement.org', code: 'RDE1', display: 'Intracranial hemorrhage' }, probability: 0.9, threshold: 0.5, positive: true, critical: true };
const run = (modelId: string): InferenceRun => ({ modelId, modelVersion: '1.0.0', modelSha256: 'd'.repeat(64), mode: 'active', status: 'succeeded', startedAt: NOW.toISOString(), latencyMs: 1, findings: [ICH] });
const study = (site: string): StudyRef => ({ studyInstanceUid: '1.2.3', modalities: ['CT'], bodyPart: 'HEAD', patient: {}, context: { patientClass: 'outpatient', orderPriority: 'routine', site }, receivedAt: NOW.toISOString() });

describe('silent mode', () => {
  it.each([
    ['nothing silent', 'S1', { sites: [], models: [] }, 'critical', false, [], undefined],
    ['a silent site', 'S2', { sites: ['S2'], models: [] }, 'routine', true, ['head'], 'Silent mode (site S2): the AI decision critical 100 is recorded, not applied'],
    ['a silent model', 'S1', { sites: [], models: ['head'] }, 'routine', false, ['head'], 'Silent mode (model head): the AI decision critical 100 is recorded, not applied'],
    ['another model silent', 'S1', { sites: [], models: ['cxr'] }, 'critical', false, [], undefined],
  ] as const)('%s', (_name, site, silent, priority, siteSilent, models, reason) => {
    const d = decideWithSilentMode(DEFAULT_RULE_SET, study(site), [run('head')], NOW, silent);
    expect(d.ai.priority).toBe('critical');
    expect(d.effective.priority).toBe(priority);
    expect(d.effective.ruleSetVersion).toBe(DEFAULT_RULE_SET.version);
    expect(d.silent).toEqual({ site: siteSilent, models });
    expect(d.effective.reasons.find((r) => r.ruleId === 'silent-mode')?.text).toBe(reason);
  });
});
