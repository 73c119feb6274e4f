import type { Priority, StudyRef } from '@triage/contracts';
import { z } from 'zod';
import { rankQualified, type Assignment, type AssignmentOptions } from './assignment';
import type { PriorityDecision } from './priority-engine';
import type { Claim, Reader } from './reader.schema';
import { onShift } from './shift';

/** Where a priority is announced: the worklist, signed webhooks, the pager/SMS channel, the HL7 ADT alert. */
export type Channel = 'worklist' | 'webhook' | 'pager' | 'hl7-alert';

const CHANNELS: Record<Priority, readonly Channel[]> = {
  critical: ['worklist', 'hl7-alert', 'pager', 'webhook'],
  urgent: ['worklist', 'webhook'],
  routine: ['worklist'],
};

/** Channels a decision at `priority` is announced on: Critical everywhere at once, Urgent worklist + webhook, Routine worklist only. */
export function channelsFor(priority: Priority): readonly Channel[] {
  return CHANNELS[priority];
}

export type EscalationRole = 'assigned' | 'next-qualified' | 'supervisor';

/** Minutes each step has to acknowledge before the next one is notified. */
export const EscalationPolicySchema = z
  .object({
    ackMinutes: z
      .object({ assigned: z.number().positive(), 'next-qualified': z.number().positive(), supervisor: z.number().positive() })
      .strict(),
  })
  .strict();
export type EscalationPolicy = z.infer<typeof EscalationPolicySchema>;

export const DEFAULT_ESCALATION_POLICY: EscalationPolicy = { ackMinutes: { assigned: 5, 'next-qualified': 5, supervisor: 10 } };

export interface EscalationStep {
  role: EscalationRole;
  readerId: string;
  ackMinutes: number;
}

/** A Critical alert's chain and what has happened so far; the caller persists it between calls. */
export interface AlertState {
  studyInstanceUid: string;
  steps: EscalationStep[];
  /** ISO time each step was notified, by step index. */
  notifiedAt: string[];
  acknowledged?: { readerId: string; at: string };
}

export type EscalationAction =
  | { action: 'notify'; step: number; readerId: string; role: EscalationRole; ackBy: string }
  | { action: 'wait'; until: string }
  | { action: 'none'; reason: string };

/**
 * The escalation chain for a Critical decision: the assigned reader, the least loaded other qualified reader
 * (see `rankQualified`), then a supervisor (on shift first, then any, by id). Readers appear once.
 * Empty for Urgent and Routine decisions, which do not escalate.
 */
export function planEscalation(
  study: StudyRef,
  decision: PriorityDecision,
  assignment: Assignment,
  readers: readonly Reader[],
  workload: readonly Claim[],
  now: Date,
  policy: EscalationPolicy = DEFAULT_ESCALATION_POLICY,
  options: AssignmentOptions = {},
): EscalationStep[] {
  if (decision.priority !== 'critical') return [];
  const steps: EscalationStep[] = [];
  const add = (role: EscalationRole, readerId: string) => {
    steps.push({ role, readerId, ackMinutes: policy.ackMinutes[role] });
  };
  const taken = (id: string) => steps.some((s) => s.readerId === id);
  if (assignment.target.kind === 'reader') add('assigned', assignment.target.readerId);
  // From the pool there is no assigned reader: the chain starts at the best qualified one.
  // Ranked without the assigned reader, so a lone subspecialist already called falls back to general readers.
  const next = rankQualified(study, readers.filter((r) => !r.supervisor && !taken(r.id)), workload, now, options)[0];
  if (next) add('next-qualified', next.id);
  const supervisors = readers.filter((r) => r.supervisor).sort((a, b) => Number(onShift(b, now)) - Number(onShift(a, now)) || a.id.localeCompare(b.id));
  const sup = supervisors.find((r) => !taken(r.id));
  if (sup) add('supervisor', sup.id);
  return steps;
}

/** A new alert for a planned chain; nothing notified yet. */
export function openAlert(studyInstanceUid: string, steps: EscalationStep[]): AlertState {
  return { studyInstanceUid, steps, notifiedAt: [] };
}

/** What to do next for an alert at `now`: notify the next step, wait for an acknowledgement, or nothing. */
export function nextEscalation(state: AlertState, now: Date): EscalationAction {
  if (state.acknowledged) return { action: 'none', reason: `acknowledged by ${state.acknowledged.readerId} at ${state.acknowledged.at}` };
  if (state.steps.length === 0) return { action: 'none', reason: 'no one to notify: the chain is empty' };
  const notify = (i: number): EscalationAction => {
    const s = state.steps[i];
    return { action: 'notify', step: i, readerId: s.readerId, role: s.role, ackBy: new Date(now.getTime() + s.ackMinutes * 60_000).toISOString() };
  };
  const last = state.notifiedAt.length - 1;
  if (last < 0) return notify(0);
  const deadline = new Date(new Date(state.notifiedAt[last]).getTime() + state.steps[last].ackMinutes * 60_000);
  if (now < deadline) return { action: 'wait', until: deadline.toISOString() };
  if (last + 1 < state.steps.length) return notify(last + 1);
  // Past the supervisor's deadline: page the last step again rather than go silent on a critical finding.
  return notify(last);
}

/** Records that the action's step was notified at `now`. */
export function recordNotification(state: AlertState, step: number, now: Date): AlertState {
  const notifiedAt = [...state.notifiedAt];
  notifiedAt[step] = now.toISOString();
  return { ...state, notifiedAt: notifiedAt.slice(0, step + 1) };
}

/** Records an acknowledgement; only a reader in the chain who has been notified can acknowledge. */
export function acknowledge(state: AlertState, readerId: string, now: Date): AlertState {
  const i = state.steps.findIndex((s) => s.readerId === readerId);
  if (i < 0 || state.notifiedAt[i] === undefined) throw new Error(`reader ${readerId} has not been notified for this alert`);
  return state.acknowledged ? state : { ...state, acknowledged: { readerId, at: now.toISOString() } };
}
