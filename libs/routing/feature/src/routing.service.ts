import { Inject, Injectable } from '@nestjs/common';
import { derivedEventId, type Envelope, type InferenceCompleted, type InferenceRun, type StudyRef, type StudyUpdated } from '@triage/contracts';
import { ROOT_LOGGER } from '@triage/nest-platform';
import type { Logger } from '@triage/observability';
import {
  assign,
  claimStudy,
  decideWithSilentMode,
  rescore,
  serviceLevelsOf,
  type Assignment,
  type JournalRecord,
  type PriorityDecision,
  type StudyState,
} from '@triage/routing-domain';
import { assignmentPayload, eventRecord, priorityWebhooks, readerRef } from './routing.effects';
import { RoutingAlerts } from './routing.alerts';
import { RoutingOutbox } from './routing.outbox';
import { RoutingStore } from './routing.store';
import { ROUTING_CLOCK, ROUTING_OPTIONS, type Clock, type RoutingOptions } from './routing.options';

/** Thrown when events a handler queued could not be published yet: the input is redelivered and the outbox tried again. */
class OutboxPendingError extends Error {
  readonly retryable = true;
}

const POOL = 'general';

const sameReasons = (a: PriorityDecision, b: PriorityDecision) => a.reasons.map((r) => r.text).join('\n') === b.reasons.map((r) => r.text).join('\n');

/** Whether a re-decision changes nothing downstream stages see: the same study, the same results, the same decision. */
function unchanged(s: StudyState, study: StudyRef, runs: InferenceRun[], decision: PriorityDecision): boolean {
  return (
    s.decision.priority === decision.priority &&
    s.decision.score === decision.score &&
    sameReasons(s.decision, decision) &&
    JSON.stringify(s.study) === JSON.stringify(study) &&
    JSON.stringify(s.runs) === JSON.stringify(runs)
  );
}

/**
 * Turns inference results and study updates into priority decisions, places studies on the worklist
 * (assignment under the routing policy, silent mode per site and model), raises Critical alerts, and on
 * every tick re-scores waiting studies (service levels), expires holds and escalates alerts.
 */
@Injectable()
export class RoutingService {
  private readonly logger: Logger;

  constructor(
    private readonly store: RoutingStore,
    private readonly outbox: RoutingOutbox,
    private readonly alerts: RoutingAlerts,
    @Inject(ROUTING_OPTIONS) private readonly options: RoutingOptions,
    @Inject(ROUTING_CLOCK) private readonly clock: Clock,
    @Inject(ROOT_LOGGER) root: Logger,
  ) {
    this.logger = root.child({ component: 'routing' });
  }

  onInferenceCompleted(env: Envelope<InferenceCompleted>): Promise<void> {
    return this.handle(env.eventId, env.traceId, env.payload.study, env.payload.runs);
  }

  /** Context changes re-score a study already decided; before its inference result there is nothing to re-score. */
  onStudyUpdated(env: Envelope<StudyUpdated>): Promise<void> {
    const uid = env.payload.study.studyInstanceUid;
    const known = this.store.state.studies.get(uid);
    if (!known) {
      this.logger.debug({ studyInstanceUid: uid, changes: env.payload.changes }, 'study.updated before its inference result: nothing to re-score');
      return Promise.resolve();
    }
    // The update carries the newer study (context); the runs stay those inference reported.
    return this.handle(env.eventId, env.traceId, { ...env.payload.study, receivedAt: known.study.receivedAt }, known.runs);
  }

  private async handle(inputEventId: string, traceId: string, study: StudyRef, runs: InferenceRun[]): Promise<void> {
    await this.store.exclusive(async () => {
      if (this.store.state.handled.has(inputEventId)) {
        await this.store.commit(this.republish(inputEventId));
        return;
      }
      const existing = this.store.state.studies.get(study.studyInstanceUid);
      if (existing && existing.reads.length > 0) {
        this.logger.info({ studyInstanceUid: study.studyInstanceUid }, 'study already signed: decision not changed');
        return;
      }
      await this.store.commit(this.decide(inputEventId, traceId, study, runs, existing, this.clock()));
    });
    await this.flushOrRetry();
  }

  /**
   * A redelivered input publishes its priority.decided again, byte for byte the same event (same id), as
   * every stage of the mesh does, so downstream stages that lost their copy still get it. Assignments and
   * alerts are not repeated.
   */
  private republish(inputEventId: string): JournalRecord[] {
    const s = [...this.store.state.studies.values()].find((x) => x.inputEventId === inputEventId);
    if (!s || s.quiet) return [];
    const payload = { study: s.study, runs: s.runs, ...s.decisionAtInput, decidedAt: s.decidedAt };
    return [eventRecord('priorityDecided', derivedEventId(inputEventId, 'priority.decided'), s.study, s.traceId, payload)];
  }

  private decide(inputEventId: string, traceId: string, study: StudyRef, runs: InferenceRun[], existing: StudyState | undefined, now: Date): JournalRecord[] {
    const { ruleSet, silent, readers, jurisdictions } = this.options;
    const at = now.toISOString();
    const sd = decideWithSilentMode(ruleSet, study, runs, now, silent);
    // A study that already waited (a late or redelivered result) is judged on its wait at once.
    const decision = rescore(sd.effective, study, now, serviceLevelsOf(ruleSet));
    const isSilent = sd.silent.site || sd.silent.models.length > 0;
    if (existing && unchanged(existing, study, runs, decision)) {
      // Late instances that change nothing (same context, same results, same decision): no new event downstream.
      this.logger.debug({ studyInstanceUid: study.studyInstanceUid }, 'study changed nothing routing decides on');
      return [{ t: 'decided', inputEventId, traceId, study, runs, decision: existing.decision, aiDecision: sd.ai, silent: isSilent, pool: existing.pool, at: existing.decidedAt, quiet: true }];
    }
    const decided: Extract<JournalRecord, { t: 'decided' }> = { t: 'decided', inputEventId, traceId, study, runs, decision, aiDecision: sd.ai, silent: isSilent, pool: POOL, at };
    const records: JournalRecord[] = [
      decided,
      eventRecord('priorityDecided', derivedEventId(inputEventId, 'priority.decided'), study, traceId, { study, runs, ...decision, decidedAt: at }),
    ];
    const opts = { jurisdictions };
    const holds = this.store.state.holds();
    if (isSilent) {
      // What the AI decision would have done, audited; the worklist is not touched by it.
      const would = assign(study, sd.ai, readers, holds, now, opts);
      const reader = would.target.kind === 'reader' ? readerRef(readers, would.target.readerId) : undefined;
      records.push(eventRecord('assignmentChanged', derivedEventId(inputEventId, 'assignment.changed:silent'), study, traceId, assignmentPayload(study, 'assigned', sd.ai.priority, reader, POOL, would.reasons, true, at)));
    }
    const before = existing?.decision;
    let assignment: Assignment | undefined;
    if (!existing?.hold && (!existing || before?.priority !== decision.priority)) {
      assignment = assign(study, decision, readers, holds, now, opts);
      decided.assignmentReasons = assignment.reasons;
      records.push(...this.placeRecords(inputEventId, traceId, study, decision, assignment, now, existing ? 'reassigned' : 'assigned'));
    }
    records.push(...priorityWebhooks(this.options.webhooks, derivedEventId(inputEventId, 'priority.decided'), study, before?.priority, decision, at));
    if (decision.priority === 'critical') {
      const held = existing?.hold;
      const a: Assignment = assignment ?? (held ? { target: { kind: 'reader', readerId: held.readerId }, reasons: [] } : { target: { kind: 'pool', pool: POOL }, reasons: [] });
      records.push(...this.alerts.raise({ study, runs, decision, assignment: a, traceId, inputEventId }, now));
    }
    this.logger.info(
      { studyInstanceUid: study.studyInstanceUid, priority: decision.priority, score: decision.score, rules: decision.reasons.map((r) => r.ruleId), ruleSetVersion: decision.ruleSetVersion, silent: isSilent },
      'priority decided',
    );
    return records;
  }

  /** Records that place a study: a hold for the assigned reader, and the assignment.changed event. */
  private placeRecords(basisId: string, traceId: string, study: StudyRef, decision: PriorityDecision, a: Assignment, now: Date, action: 'assigned' | 'reassigned'): JournalRecord[] {
    const out: JournalRecord[] = [];
    let reader;
    if (a.target.kind === 'reader') {
      const claim = claimStudy(study, a.target.readerId, now, this.options.assignTtlMinutes);
      out.push({ t: 'hold', claim, kind: 'assigned', reasons: a.reasons });
      reader = readerRef(this.options.readers, a.target.readerId);
    }
    const payload = assignmentPayload(study, action, decision.priority, reader, POOL, a.reasons, false, now.toISOString());
    out.push(eventRecord('assignmentChanged', derivedEventId(basisId, `assignment.changed:${action}`), study, traceId, payload));
    return out;
  }

  /** One pass of the timer: expire holds, re-score waiting studies, escalate alerts, then send what was queued. */
  async tick(): Promise<void> {
    await this.store.exclusive(async () => {
      const now = this.clock();
      const records = [...this.expireHolds(now), ...this.rescoreWaiting(now)];
      if (records.length > 0) await this.store.commit(records);
      const escalations = this.alerts.escalateDue(now);
      if (escalations.length > 0) await this.store.commit(escalations);
      await this.store.compactIfDue(now);
    });
    await this.outbox.flush().catch((err: unknown) => this.logger.warn({ reason: err instanceof Error ? err.message : String(err) }, 'outbox not flushed; retrying next tick'));
  }

  private expireHolds(now: Date): JournalRecord[] {
    const out: JournalRecord[] = [];
    for (const s of this.store.state.studies.values()) {
      const h = s.hold;
      if (!h || new Date(h.expiresAt) > now) continue;
      out.push({ t: 'unhold', uid: s.study.studyInstanceUid, action: 'expired' });
      const reasons = [{ ruleId: 'claim-expired', text: `The ${h.kind === 'assigned' ? 'assignment' : 'claim'} of reader ${h.readerId} expired at ${h.expiresAt}: back to the ${POOL} pool` }];
      const id = derivedEventId(`${s.study.studyInstanceUid}:${h.readerId}:${h.claimedAt}`, 'assignment.changed:expired');
      out.push(eventRecord('assignmentChanged', id, s.study, s.traceId, assignmentPayload(s.study, 'expired', s.decision.priority, undefined, POOL, reasons, false, now.toISOString())));
      this.logger.info({ studyInstanceUid: s.study.studyInstanceUid, readerId: h.readerId, kind: h.kind }, 'hold expired: back to the pool');
    }
    return out;
  }

  private rescoreWaiting(now: Date): JournalRecord[] {
    const out: JournalRecord[] = [];
    const levels = serviceLevelsOf(this.options.ruleSet);
    for (const row of this.store.state.worklist.list()) {
      const s = this.store.state.studies.get(row.studyInstanceUid);
      if (!s) continue;
      const next = rescore(s.decision, s.study, now, levels);
      if (next.priority === s.decision.priority) continue;
      const basis = derivedEventId(s.inputEventId, `priority.decided:sla-${s.decision.priority}`);
      const at = now.toISOString();
      out.push({ t: 'rescored', uid: row.studyInstanceUid, decision: next, at });
      out.push(eventRecord('priorityDecided', basis, s.study, s.traceId, { study: s.study, runs: s.runs, ...next, decidedAt: at }));
      out.push(...priorityWebhooks(this.options.webhooks, basis, s.study, s.decision.priority, next, at));
      let a: Assignment = s.hold ? { target: { kind: 'reader', readerId: s.hold.readerId }, reasons: [] } : { target: { kind: 'pool', pool: POOL }, reasons: [] };
      if (!s.hold) {
        const placed = assign(s.study, next, this.options.readers, this.store.state.holds(), now, { jurisdictions: this.options.jurisdictions });
        if (placed.target.kind === 'reader') {
          a = placed;
          out.push(...this.placeRecords(basis, s.traceId, s.study, next, a, now, 'reassigned'));
        }
      }
      if (next.priority === 'critical') out.push(...this.alerts.raise({ study: s.study, runs: s.runs, decision: next, assignment: a, traceId: s.traceId, inputEventId: basis }, now));
      this.logger.info({ studyInstanceUid: row.studyInstanceUid, from: s.decision.priority, to: next.priority }, 'waiting past the service level: promoted');
    }
    return out;
  }

  private async flushOrRetry(): Promise<void> {
    await this.outbox.flush();
    const pending = this.outbox.pendingEvents();
    if (pending.length > 0) throw new OutboxPendingError(`${pending.length} routing events not yet published`);
  }
}
