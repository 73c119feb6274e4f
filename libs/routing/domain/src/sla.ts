import type { Priority, StudyRef } from '@triage/contracts';
import { PRIORITY_RANK as RANK, type PriorityDecision } from './priority-engine';
import type { RuleSet } from './rule-set.schema';
import { DEFAULT_SERVICE_LEVELS, type ServiceLevels } from './sla.schema';

const MINUTE_MS = 60_000;

/** The service levels a rule set declares, or the shipped defaults. */
export function serviceLevelsOf(ruleSet: RuleSet): ServiceLevels {
  return ruleSet.serviceLevels ?? DEFAULT_SERVICE_LEVELS;
}

/** Whole minutes between `receivedAt` and `now` (0 when the clock says the study is from the future). */
export function waitedMinutes(receivedAt: string, now: Date): number {
  const ms = now.getTime() - new Date(receivedAt).getTime();
  return Number.isFinite(ms) && ms > 0 ? Math.floor(ms / MINUTE_MS) : 0;
}

/** Fraction of the service level used so far: 0 on arrival, 1 when due, above 1 when overdue. */
export function waitingScore(receivedAt: string, now: Date, slaMinutes: number): number {
  return waitedMinutes(receivedAt, now) / slaMinutes;
}

/** When a study at `priority` received at `receivedAt` falls due under `levels`. */
export function dueAt(receivedAt: string, priority: Priority, levels: ServiceLevels = DEFAULT_SERVICE_LEVELS): Date {
  return new Date(new Date(receivedAt).getTime() + levels.minutes[priority] * MINUTE_MS);
}

/** Formats minutes for a reason line: "45 min", "2 h", "25 h 10 min". */
export function formatMinutes(minutes: number): string {
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  if (h === 0) return `${m} min`;
  return m === 0 ? `${h} h` : `${h} h ${m} min`;
}

/** The rule id a waiting-time promotion is recorded under, e.g. `sla-routine`. */
export function slaRuleId(from: Priority): string {
  return `sla-${from}`;
}

/**
 * Re-scores a decision for the time its study has waited. A study past the service level of its priority
 * is promoted one step as `levels.promote` says, with a reason naming the rule and the wait; the score is
 * kept (order within a priority already falls back to age). A decision promoted once is not promoted
 * again: its original clock no longer applies and chaining would turn every late study critical.
 * Pure: the same decision, study and `now` always give the same answer.
 */
export function rescore(
  decision: PriorityDecision,
  study: StudyRef,
  now: Date,
  levels: ServiceLevels = DEFAULT_SERVICE_LEVELS,
): PriorityDecision {
  if (decision.reasons.some((r) => r.ruleId.startsWith('sla-'))) return decision;
  const from = decision.priority;
  const to = from === 'critical' ? undefined : levels.promote[from];
  if (!to || RANK[to] <= RANK[from]) return decision;
  const waited = waitedMinutes(study.receivedAt, now);
  const sla = levels.minutes[from];
  if (waited <= sla) return decision;
  const reason = {
    ruleId: slaRuleId(from),
    text: `Waited ${formatMinutes(waited)}, past the ${from} service level of ${formatMinutes(sla)}: promoted to ${to}`,
  };
  // The promotion is the reason the study moved, so it leads.
  return { ...decision, priority: to, reasons: [reason, ...decision.reasons] };
}
