import type { InferenceRun, Priority, StudyRef } from '@triage/contracts';
import { decidePriority, PRIORITY_RANK, type PriorityDecision } from './priority-engine';
import type { RuleSet } from './rule-set.schema';

/** A study as it was decided: the input of a replay. */
export interface RecordedStudy {
  study: StudyRef;
  runs: InferenceRun[];
  /** When it was decided; age conditions are evaluated at this instant so a replay is reproducible. */
  decidedAt: string;
}

export type Change = 'promoted' | 'demoted' | 'rescored' | 'reasons' | 'unchanged';

export interface SimulatedStudy {
  studyInstanceUid: string;
  current: PriorityDecision;
  draft: PriorityDecision;
  change: Change;
  scoreDelta: number;
  /** Rule ids that fire under the draft only / under the current set only. */
  rulesAdded: string[];
  rulesRemoved: string[];
}

export interface SimulationSummary {
  currentVersion: string;
  draftVersion: string;
  total: number;
  changed: number;
  /** Counts per "from→to" pair, e.g. { 'routine→urgent': 3 }. */
  promotions: Record<string, number>;
  demotions: Record<string, number>;
}

export interface SimulationResult {
  studies: SimulatedStudy[];
  summary: SimulationSummary;
}

const unique = (ids: string[]) => [...new Set(ids)];

function compare(current: PriorityDecision, draft: PriorityDecision): Omit<SimulatedStudy, 'studyInstanceUid' | 'current' | 'draft'> {
  const before = unique(current.reasons.map((r) => r.ruleId));
  const after = unique(draft.reasons.map((r) => r.ruleId));
  const rulesAdded = after.filter((id) => !before.includes(id));
  const rulesRemoved = before.filter((id) => !after.includes(id));
  const scoreDelta = draft.score - current.score;
  const rank = PRIORITY_RANK[draft.priority] - PRIORITY_RANK[current.priority];
  const sameText = current.reasons.map((r) => r.text).join('\n') === draft.reasons.map((r) => r.text).join('\n');
  let change: Change = 'unchanged';
  if (rank > 0) change = 'promoted';
  else if (rank < 0) change = 'demoted';
  else if (scoreDelta !== 0) change = 'rescored';
  else if (!sameText) change = 'reasons';
  return { change, scoreDelta, rulesAdded, rulesRemoved };
}

/** Replays recorded studies against the current and a draft rule set and reports what would change. */
export function simulate(current: RuleSet, draft: RuleSet, recorded: RecordedStudy[]): SimulationResult {
  const studies: SimulatedStudy[] = [];
  const promotions: Record<string, number> = {};
  const demotions: Record<string, number> = {};
  for (const r of recorded) {
    const at = new Date(r.decidedAt);
    const a = decidePriority(current, r.study, r.runs, at);
    const b = decidePriority(draft, r.study, r.runs, at);
    const diff = compare(a, b);
    studies.push({ studyInstanceUid: r.study.studyInstanceUid, current: a, draft: b, ...diff });
    const pair = `${a.priority}→${b.priority}`;
    if (diff.change === 'promoted') promotions[pair] = (promotions[pair] ?? 0) + 1;
    if (diff.change === 'demoted') demotions[pair] = (demotions[pair] ?? 0) + 1;
  }
  return {
    studies,
    summary: {
      currentVersion: current.version,
      draftVersion: draft.version,
      total: studies.length,
      changed: studies.filter((s) => s.change !== 'unchanged').length,
      promotions,
      demotions,
    },
  };
}

const label = (p: Priority, score: number) => `${p} ${score}`;

function pad(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}

/**
 * Formats a simulation as a plain-text table (study UID, current, draft, change, rules added/removed)
 * followed by the summary. Only UIDs, priorities and rule ids appear: no patient data.
 * `onlyChanged` leaves out unchanged studies.
 */
export function formatSimulation(result: SimulationResult, onlyChanged = false): string {
  const { summary } = result;
  const rows = [['study', `current (${summary.currentVersion})`, `draft (${summary.draftVersion})`, 'change', 'rules']];
  for (const s of result.studies) {
    if (onlyChanged && s.change === 'unchanged') continue;
    const rules = [...s.rulesAdded.map((id) => `+${id}`), ...s.rulesRemoved.map((id) => `-${id}`)].join(' ');
    rows.push([s.studyInstanceUid, label(s.current.priority, s.current.score), label(s.draft.priority, s.draft.score), s.change, rules]);
  }
  const counts = (m: Record<string, number>) =>
    Object.keys(m).length === 0 ? 'none' : Object.entries(m).sort().map(([k, n]) => `${k} ${n}`).join(', ');
  return [
    pad(rows),
    '',
    `${summary.changed} of ${summary.total} studies change`,
    `promotions: ${counts(summary.promotions)}`,
    `demotions: ${counts(summary.demotions)}`,
  ].join('\n');
}
