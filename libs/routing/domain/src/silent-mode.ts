import type { InferenceRun, StudyRef } from '@triage/contracts';
import { decidePriority, type PriorityDecision } from './priority-engine';
import type { RuleSet } from './rule-set.schema';

/** Sites and models in silent mode: their AI results are decided and audited but do not act. */
export interface SilentMode {
  sites: readonly string[];
  models: readonly string[];
}

export interface SilentDecision {
  /** What the worklist and alerts act on: the decision without the silenced runs. */
  effective: PriorityDecision;
  /** The decision with every active run, as it would be without silent mode (audited). */
  ai: PriorityDecision;
  /** The site is silent (no AI result acts), and the models whose runs were silenced. */
  silent: { site: boolean; models: string[] };
}

/**
 * Decides with and without the silenced runs. A silent site's studies are placed on the worklist by their
 * context alone; a silent model's findings are left out. When anything was silenced the effective decision
 * says so in a reason, naming what the AI decision would have been.
 */
export function decideWithSilentMode(ruleSet: RuleSet, study: StudyRef, runs: InferenceRun[], now: Date, silent: SilentMode): SilentDecision {
  const ai = decidePriority(ruleSet, study, runs, now);
  const site = study.context.site !== undefined && silent.sites.includes(study.context.site);
  const active = runs.filter((r) => r.mode === 'active');
  const models = [...new Set(active.filter((r) => site || silent.models.includes(r.modelId)).map((r) => r.modelId))];
  if (models.length === 0 && !site) return { effective: ai, ai, silent: { site, models } };
  const kept = site ? [] : runs.filter((r) => !silent.models.includes(r.modelId));
  const base = decidePriority(ruleSet, study, kept, now);
  const what = site ? `site ${study.context.site}` : `model${models.length === 1 ? '' : 's'} ${models.join(', ')}`;
  const reason = { ruleId: 'silent-mode', text: `Silent mode (${what}): the AI decision ${ai.priority} ${ai.score} is recorded, not applied` };
  return { effective: { ...base, reasons: [...base.reasons, reason] }, ai, silent: { site, models } };
}
