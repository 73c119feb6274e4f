import type { Finding, InferenceRun, Priority, StudyRef } from '@triage/contracts';
import type { Reason, PriorityDecision } from './priority-engine';
import type { Claim } from './reader.schema';
import type { AlertState } from './escalation';
import { SortedWorklist, type WorklistKey } from './worklist';

/** How a reader holds a study: assigned by the policy, or claimed from a pool or their list. */
export type HoldKind = 'assigned' | 'claimed';

/** A study on the worklist as the API shows it (no patient data beyond the StudyRef it carries). */
export interface WorklistRow extends WorklistKey {
  site?: string;
  pool: string;
  holder?: { readerId: string; kind: HoldKind; expiresAt: string };
}

export interface SignedRead {
  readId: string;
  status: 'final' | 'amended';
  readerId: string;
  signedAt: string;
}

export interface StudyState {
  study: StudyRef;
  runs: InferenceRun[];
  traceId: string;
  /** The input event the current decision came from (basis of derived event ids). */
  inputEventId: string;
  /** What the worklist and alerts act on (re-scored as the study waits). */
  decision: PriorityDecision;
  /** The decision as published for `inputEventId`, re-published unchanged when that input is redelivered. */
  decisionAtInput: PriorityDecision;
  /** The last input changed nothing, so nothing was published for it (nor is on redelivery). */
  quiet: boolean;
  /** The decision before silent mode took runs out (equal to `decision` when nothing is silent). */
  aiDecision: PriorityDecision;
  silent: boolean;
  decidedAt: string;
  pool: string;
  hold?: Claim & { kind: HoldKind };
  assignmentReasons: Reason[];
  reads: SignedRead[];
}

export interface OpenAlert extends AlertState {
  alertId: string;
  traceId: string;
  findings: Finding[];
  raisedAt: string;
  /** Times the last step was paged again after its deadline passed. */
  repeats: number;
}

/** Something the service must still send: an event on the bus, or a signed webhook. Sent again after a restart until done. */
export type OutboxItem =
  | { id: string; kind: 'event'; event: 'priorityDecided' | 'assignmentChanged' | 'alertChanged' | 'readSigned'; eventId: string; subject: string; traceId: string; payload: unknown }
  | { id: string; kind: 'webhook'; target: string; url: string; eventType: string; body: string };

/** One line of the routing journal: every change to the worklist, claims, reads and alerts. */
export type JournalRecord =
  | { t: 'decided'; inputEventId: string; traceId: string; study: StudyRef; runs: InferenceRun[]; decision: PriorityDecision; aiDecision: PriorityDecision; silent: boolean; pool: string; at: string; assignmentReasons?: Reason[]; quiet?: boolean }
  | { t: 'rescored'; uid: string; decision: PriorityDecision; at: string }
  | { t: 'hold'; claim: Claim; kind: HoldKind; reasons: Reason[] }
  | { t: 'unhold'; uid: string; action: 'released' | 'expired' }
  | { t: 'signed'; uid: string; read: SignedRead }
  | { t: 'alert-opened'; alert: OpenAlert }
  | { t: 'alert-notified'; alertId: string; step: number; at: string; repeat: boolean }
  | { t: 'alert-acknowledged'; alertId: string; readerId: string; at: string }
  | { t: 'handled'; ids: Array<[string, string]> }
  | { t: 'outbox'; item: OutboxItem }
  | { t: 'outbox-done'; id: string; outcome: 'sent' | 'failed' };

const isSigned = (s: StudyState) => s.reads.length > 0;

/**
 * The routing state, rebuilt by applying journal records in order (replay at start is the same code as
 * live changes). Keeps open studies in worklist order.
 */
export class RoutingState {
  readonly studies = new Map<string, StudyState>();
  readonly alerts = new Map<string, OpenAlert>();
  readonly outbox = new Map<string, OutboxItem>();
  /** Input event ids already handled (→ their study): redelivered inputs change nothing. */
  readonly handled = new Map<string, string>();
  readonly worklist = new SortedWorklist<WorklistRow>();

  apply(rec: JournalRecord): void {
    switch (rec.t) {
      case 'decided': {
        this.handled.set(rec.inputEventId, rec.study.studyInstanceUid);
        const prev = this.studies.get(rec.study.studyInstanceUid);
        const s: StudyState = {
          study: rec.study,
          runs: rec.runs,
          traceId: rec.traceId,
          inputEventId: rec.inputEventId,
          decision: rec.decision,
          decisionAtInput: rec.quiet && prev ? prev.decisionAtInput : rec.decision,
          quiet: rec.quiet ?? false,
          aiDecision: rec.aiDecision,
          silent: rec.silent,
          decidedAt: rec.at,
          pool: rec.pool,
          hold: prev?.hold,
          assignmentReasons: rec.assignmentReasons ?? prev?.assignmentReasons ?? [],
          reads: prev?.reads ?? [],
        };
        this.studies.set(s.study.studyInstanceUid, s);
        this.index(s);
        return;
      }
      case 'rescored': {
        const s = this.studies.get(rec.uid);
        if (!s) return;
        s.decision = rec.decision;
        this.index(s);
        return;
      }
      case 'hold': {
        const s = this.studies.get(rec.claim.studyInstanceUid);
        if (!s) return;
        s.hold = { ...rec.claim, kind: rec.kind };
        if (rec.reasons.length > 0) s.assignmentReasons = rec.reasons;
        this.index(s);
        return;
      }
      case 'unhold': {
        const s = this.studies.get(rec.uid);
        if (!s) return;
        s.hold = undefined;
        this.index(s);
        return;
      }
      case 'signed': {
        const s = this.studies.get(rec.uid);
        if (!s) return;
        s.reads.push(rec.read);
        s.hold = undefined;
        this.index(s);
        return;
      }
      case 'alert-opened':
        this.alerts.set(rec.alert.alertId, { ...rec.alert, notifiedAt: [...rec.alert.notifiedAt] });
        return;
      case 'alert-notified': {
        const a = this.alerts.get(rec.alertId);
        if (!a) return;
        a.notifiedAt = [...a.notifiedAt.slice(0, rec.step), rec.at];
        if (rec.repeat) a.repeats += 1;
        return;
      }
      case 'alert-acknowledged': {
        const a = this.alerts.get(rec.alertId);
        if (a && !a.acknowledged) a.acknowledged = { readerId: rec.readerId, at: rec.at };
        return;
      }
      case 'handled':
        for (const [id, uid] of rec.ids) this.handled.set(id, uid);
        return;
      case 'outbox':
        this.outbox.set(rec.item.id, rec.item);
        return;
      case 'outbox-done':
        this.outbox.delete(rec.id);
        return;
      default: {
        const never: never = rec;
        throw new Error(`unknown journal record ${(never as { t: string }).t}`);
      }
    }
  }

  /** Claims and assignments currently held (the workload assignment balances). */
  holds(): Claim[] {
    const out: Claim[] = [];
    for (const s of this.studies.values()) if (s.hold) out.push(s.hold);
    return out;
  }

  /**
   * The fewest records that rebuild this state (journal compaction). Studies whose last read was signed
   * before `dropSignedBefore` are left out with their alerts and handled input ids: past the topics'
   * retention no input about them can be redelivered.
   */
  snapshot(dropSignedBefore?: Date): JournalRecord[] {
    const out: JournalRecord[] = [];
    const dropped = new Set<string>();
    for (const s of this.studies.values()) {
      const uid = s.study.studyInstanceUid;
      const last = s.reads.at(-1);
      if (dropSignedBefore && last && new Date(last.signedAt) < dropSignedBefore) {
        dropped.add(uid);
        continue;
      }
      out.push({ t: 'decided', inputEventId: s.inputEventId, traceId: s.traceId, study: s.study, runs: s.runs, decision: s.decisionAtInput, aiDecision: s.aiDecision, silent: s.silent, pool: s.pool, at: s.decidedAt, assignmentReasons: s.assignmentReasons, quiet: s.quiet || undefined });
      if (s.decision !== s.decisionAtInput) out.push({ t: 'rescored', uid, decision: s.decision, at: s.decidedAt });
      if (s.hold) {
        const { kind, ...claim } = s.hold;
        out.push({ t: 'hold', claim, kind, reasons: s.assignmentReasons });
      }
      for (const read of s.reads) out.push({ t: 'signed', uid, read });
    }
    const ids = [...this.handled].filter(([, uid]) => !dropped.has(uid));
    if (ids.length > 0) out.push({ t: 'handled', ids });
    for (const a of this.alerts.values()) if (!dropped.has(a.studyInstanceUid)) out.push({ t: 'alert-opened', alert: a });
    for (const item of this.outbox.values()) out.push({ t: 'outbox', item });
    return out;
  }

  /** The open alert of a study, if any. */
  openAlertOf(uid: string): OpenAlert | undefined {
    for (const a of this.alerts.values()) if (a.studyInstanceUid === uid && !a.acknowledged) return a;
    return undefined;
  }

  /** A silent site's studies stay on the worklist by context; signed studies leave it. */
  private index(s: StudyState): void {
    if (isSigned(s)) {
      this.worklist.remove(s.study.studyInstanceUid);
      return;
    }
    this.worklist.upsert(rowOf(s));
  }
}

export function rowOf(s: StudyState): WorklistRow {
  return {
    studyInstanceUid: s.study.studyInstanceUid,
    priority: s.decision.priority as Priority,
    score: s.decision.score,
    receivedAt: s.study.receivedAt,
    site: s.study.context.site,
    pool: s.pool,
    holder: s.hold ? { readerId: s.hold.readerId, kind: s.hold.kind, expiresAt: s.hold.expiresAt } : undefined,
  };
}
