import type { Finding, InferenceRun, Priority, StudyRef } from '@triage/contracts';
import type { Rule, RuleSet } from './rule-set.schema';

export interface Reason {
  ruleId: string;
  text: string;
}

export interface PriorityDecision {
  priority: Priority;
  score: number;
  reasons: Reason[];
  ruleSetVersion: string;
}

/** Priority order for comparisons: higher is read sooner. */
export const PRIORITY_RANK: Record<Priority, number> = { routine: 0, urgent: 1, critical: 2 };
const RANK = PRIORITY_RANK;

/** Age in whole years at `on`, or undefined when the birth date is unknown. */
export function ageInYears(birthDate: string | undefined, on: Date): number | undefined {
  if (!birthDate) return undefined;
  const b = new Date(`${birthDate}T00:00:00Z`);
  if (Number.isNaN(b.getTime())) return undefined;
  let age = on.getUTCFullYear() - b.getUTCFullYear();
  const m = on.getUTCMonth() - b.getUTCMonth();
  if (m < 0 || (m === 0 && on.getUTCDate() < b.getUTCDate())) age -= 1;
  return age;
}

function contextMatches(rule: Rule, study: StudyRef, now: Date): boolean {
  const c = rule.when.context;
  if (!c) return true;
  if (c.patientClass && !c.patientClass.includes(study.context.patientClass)) return false;
  if (c.orderPriority && !c.orderPriority.includes(study.context.orderPriority)) return false;
  const modalities = c.modalities;
  if (modalities && !study.modalities.some((m) => modalities.includes(m))) return false;
  if (c.bodyParts && (!study.bodyPart || !c.bodyParts.includes(study.bodyPart.toUpperCase()))) return false;
  if (c.minAgeYears !== undefined || c.maxAgeYears !== undefined) {
    const age = ageInYears(study.patient.birthDate, now);
    if (age === undefined) return false;
    if (c.minAgeYears !== undefined && age < c.minAgeYears) return false;
    if (c.maxAgeYears !== undefined && age > c.maxAgeYears) return false;
  }
  return true;
}

function findingMatches(rule: Rule, f: Finding): boolean {
  const c = rule.when.finding;
  if (!c) return false;
  if (c.labels && !c.labels.includes(f.label)) return false;
  if (c.positive !== undefined && f.positive !== c.positive) return false;
  if (c.critical !== undefined && f.critical !== c.critical) return false;
  if (c.kind !== undefined && f.kind !== c.kind) return false;
  if (c.minProbability !== undefined && f.probability < c.minProbability) return false;
  return true;
}

function fill(template: string, f: Finding, run: InferenceRun): string {
  return template
    .replaceAll('{label}', f.code.display ?? f.label)
    .replaceAll('{probability}', f.probability.toFixed(2))
    .replaceAll('{threshold}', f.threshold.toFixed(2))
    .replaceAll('{model}', `${run.modelId} ${run.modelVersion}`);
}

/**
 * Decides a study's priority from its AI findings and context. Only `active` runs count: shadow-mode
 * findings never change a decision. The highest priority of the fired rules wins; the score is the sum
 * of the fired rules' scores; every fired rule is named in the reasons.
 */
export function decidePriority(ruleSet: RuleSet, study: StudyRef, runs: InferenceRun[], now: Date): PriorityDecision {
  const active = runs.filter((r) => r.mode === 'active' && r.status === 'succeeded');
  let priority: Priority | undefined;
  let score = 0;
  const reasons: Reason[] = [];
  const fire = (rule: Rule, text: string) => {
    if (priority === undefined || RANK[rule.then.priority] > RANK[priority]) priority = rule.then.priority;
    score += rule.then.score;
    reasons.push({ ruleId: rule.id, text });
  };
  for (const rule of ruleSet.rules) {
    if (!contextMatches(rule, study, now)) continue;
    if (rule.when.finding) {
      for (const run of active) for (const f of run.findings) if (findingMatches(rule, f)) fire(rule, fill(rule.reason, f, run));
    } else {
      fire(rule, rule.reason);
    }
  }
  if (priority === undefined) {
    return {
      priority: ruleSet.fallback.priority,
      score: ruleSet.fallback.score,
      reasons: [{ ruleId: 'fallback', text: ruleSet.fallback.reason }],
      ruleSetVersion: ruleSet.version,
    };
  }
  // Strongest reasons first, so the first line of a worklist entry says why it is at the top.
  const byId = new Map(ruleSet.rules.map((r) => [r.id, r.then]));
  const weight = (id: string) => byId.get(id) ?? { priority: 'routine' as Priority, score: 0 };
  reasons.sort((a, b) => {
    const wa = weight(a.ruleId);
    const wb = weight(b.ruleId);
    return RANK[wb.priority] - RANK[wa.priority] || wb.score - wa.score;
  });
  return { priority, score, reasons, ruleSetVersion: ruleSet.version };
}
