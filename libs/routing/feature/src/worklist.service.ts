import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { derivedEventId, type ReadSigned } from '@triage/contracts';
import { ROOT_LOGGER } from '@triage/nest-platform';
import type { Logger } from '@triage/observability';
import { buildVerdicts, claimStudy, isLicensed, rowOf, waitedMinutes, type JournalRecord, type Reader, type StudyState, type WorklistRow } from '@triage/routing-domain';
import type { ReadBody, WorklistQuery } from './dto/routing.dto';
import { assignmentPayload, eventRecord, readerRef } from './routing.effects';
import { RoutingAlerts } from './routing.alerts';
import { RoutingErrorCode, RoutingException } from './routing.exception';
import { RoutingOutbox } from './routing.outbox';
import { RoutingStore } from './routing.store';
import { ROUTING_CLOCK, ROUTING_OPTIONS, type Clock, type RoutingOptions } from './routing.options';

/** A worklist entry as the API answers it: study identifiers and order, no patient demographics. */
export interface WorklistItem {
  studyInstanceUid: string;
  accessionNumber?: string;
  studyDescription?: string;
  modalities: string[];
  bodyPart?: string;
  site?: string;
  priority: WorklistRow['priority'];
  score: number;
  receivedAt: string;
  waitedMinutes: number;
  ruleSetVersion: string;
  reasons: StudyState['decision']['reasons'];
  pool: string;
  holder?: WorklistRow['holder'];
  alert?: { alertId: string; acknowledged: boolean };
}

/** One study in full: its worklist entry, why it was placed where it is, the AI decision in silent mode, its reads. */
export interface StudyDetail extends WorklistItem {
  assignmentReasons: StudyState['assignmentReasons'];
  silent: boolean;
  aiDecision?: StudyState['aiDecision'];
  reads: StudyState['reads'];
}

export interface SignResult {
  readId: string;
  status: 'final' | 'amended';
  signedAt: string;
  eventId: string;
}

/** The worklist API's operations: lists per reader and per pool, claim, release, and signed reads (→ read.signed). */
@Injectable()
export class WorklistService {
  private readonly logger: Logger;

  constructor(
    private readonly store: RoutingStore,
    private readonly outbox: RoutingOutbox,
    private readonly alerts: RoutingAlerts,
    @Inject(ROUTING_OPTIONS) private readonly options: RoutingOptions,
    @Inject(ROUTING_CLOCK) private readonly clock: Clock,
    @Inject(ROOT_LOGGER) root: Logger,
  ) {
    this.logger = root.child({ component: 'worklist' });
  }

  /** A reader's list (studies assigned to or claimed by them, and with includePool what they may claim), a pool's unheld studies, or every open study; in worklist order. */
  list(q: WorklistQuery): WorklistItem[] {
    const now = this.clock();
    const site = (r: WorklistRow) => q.site === undefined || r.site === q.site;
    const live = (r: WorklistRow) => r.holder !== undefined && new Date(r.holder.expiresAt) > now;
    const reader = q.readerId !== undefined ? this.reader(q.readerId) : undefined;
    const claimable = (r: WorklistRow) => q.includePool && reader !== undefined && !live(r) && isLicensed(reader, r.site, now, { jurisdictions: this.options.jurisdictions });
    const keep =
      reader !== undefined
        ? (r: WorklistRow) => ((live(r) && r.holder?.readerId === reader.id) || claimable(r)) && site(r)
        : q.pool !== undefined
          ? (r: WorklistRow) => !live(r) && r.pool === q.pool && site(r)
          : site;
    return this.store.state.worklist.list(keep, q.limit).map((r) => this.item(this.study(r.studyInstanceUid), now));
  }

  item(s: StudyState, now: Date): WorklistItem {
    const row = rowOf(s);
    const alert = [...this.store.state.alerts.values()].find((a) => a.studyInstanceUid === row.studyInstanceUid);
    return {
      studyInstanceUid: row.studyInstanceUid,
      accessionNumber: s.study.accessionNumber,
      studyDescription: s.study.studyDescription,
      modalities: s.study.modalities,
      bodyPart: s.study.bodyPart,
      site: row.site,
      priority: row.priority,
      score: row.score,
      receivedAt: row.receivedAt,
      waitedMinutes: waitedMinutes(row.receivedAt, now),
      ruleSetVersion: s.decision.ruleSetVersion,
      reasons: s.decision.reasons,
      pool: row.pool,
      holder: row.holder,
      alert: alert ? { alertId: alert.alertId, acknowledged: alert.acknowledged !== undefined } : undefined,
    };
  }

  /** A study routing holds (open or signed), with the reasons for its placement and its reads. */
  detail(uid: string): StudyDetail {
    const s = this.study(uid);
    return { ...this.item(s, this.clock()), assignmentReasons: s.assignmentReasons, silent: s.silent, aiDecision: s.silent ? s.aiDecision : undefined, reads: s.reads };
  }

  /** Claims a study for a reader: 409 when another reader holds it, or the reader is at their cap. */
  async claim(uid: string, readerId: string): Promise<WorklistItem> {
    const item = await this.store.exclusive(async () => {
      const reader = this.reader(readerId);
      const s = this.open(uid);
      const now = this.clock();
      const hold = s.hold && new Date(s.hold.expiresAt) > now ? s.hold : undefined;
      if (hold && hold.readerId !== readerId) {
        throw new RoutingException(RoutingErrorCode.AlreadyHeld, `study ${uid} is ${hold.kind} to reader ${hold.readerId} until ${hold.expiresAt}`);
      }
      if (!isLicensed(reader, s.study.context.site, now, { jurisdictions: this.options.jurisdictions })) {
        throw new RoutingException(RoutingErrorCode.NotLicensed, `reader ${readerId} holds no valid licence for site ${s.study.context.site ?? '(none)'}`);
      }
      const held = this.store.state.holds().filter((c) => c.readerId === readerId && c.studyInstanceUid !== uid && new Date(c.expiresAt) > now).length;
      if (held >= reader.maxConcurrent) throw new RoutingException(RoutingErrorCode.AtCapacity, `reader ${readerId} already holds ${held} studies (cap ${reader.maxConcurrent})`);
      const claim = claimStudy(s.study, readerId, now, this.options.claimTtlMinutes);
      const reasons = [{ ruleId: 'claim', text: `Claimed by reader ${readerId} until ${claim.expiresAt}` }];
      const id = derivedEventId(`${uid}:${readerId}:${claim.claimedAt}`, 'assignment.changed:claimed');
      await this.store.commit([
        { t: 'hold', claim, kind: 'claimed', reasons },
        eventRecord('assignmentChanged', id, s.study, s.traceId, assignmentPayload(s.study, 'claimed', s.decision.priority, readerRef(this.options.readers, readerId), s.pool, reasons, false, claim.claimedAt)),
      ]);
      this.logger.info({ studyInstanceUid: uid, readerId }, 'study claimed');
      return this.item(this.study(uid), now);
    });
    await this.flushQuietly();
    return item;
  }

  /** Releases a study the reader holds back to its pool. */
  async release(uid: string, readerId: string): Promise<WorklistItem> {
    const item = await this.store.exclusive(async () => {
      this.reader(readerId);
      const s = this.open(uid);
      const now = this.clock();
      if (!s.hold || s.hold.readerId !== readerId || new Date(s.hold.expiresAt) <= now) {
        throw new RoutingException(RoutingErrorCode.NotHolder, `reader ${readerId} does not hold study ${uid}`);
      }
      const reasons = [{ ruleId: 'release', text: `Released by reader ${readerId}: back to the ${s.pool} pool` }];
      const id = derivedEventId(`${uid}:${readerId}:${s.hold.claimedAt}`, 'assignment.changed:released');
      await this.store.commit([
        { t: 'unhold', uid, action: 'released' },
        eventRecord('assignmentChanged', id, s.study, s.traceId, assignmentPayload(s.study, 'released', s.decision.priority, undefined, s.pool, reasons, false, now.toISOString())),
      ]);
      this.logger.info({ studyInstanceUid: uid, readerId }, 'study released');
      return this.item(this.study(uid), now);
    });
    await this.flushQuietly();
    return item;
  }

  /** Signs a read (final) by the reader who holds the study, or amends a signed one; emits read.signed. */
  async sign(uid: string, body: ReadBody, status: 'final' | 'amended'): Promise<SignResult> {
    const result = await this.store.exclusive(async () => {
      const reader = this.reader(body.readerId);
      const s = this.study(uid);
      const now = this.clock();
      if (status === 'final') {
        if (s.reads.length > 0) throw new RoutingException(RoutingErrorCode.AlreadySigned, `study ${uid} already has a signed read: amend it instead`);
        if (!s.hold || s.hold.readerId !== reader.id || new Date(s.hold.expiresAt) <= now) {
          throw new RoutingException(RoutingErrorCode.NotHolder, `reader ${reader.id} does not hold study ${uid}: claim it first`);
        }
      } else {
        if (s.reads.length === 0) throw new RoutingException(RoutingErrorCode.NotSigned, `study ${uid} has no signed read to amend`);
        if (!isLicensed(reader, s.study.context.site, now, { jurisdictions: this.options.jurisdictions })) {
          throw new RoutingException(RoutingErrorCode.NotLicensed, `reader ${reader.id} holds no valid licence for site ${s.study.context.site ?? '(none)'}`);
        }
      }
      const v = buildVerdicts(s.runs, body.verdicts);
      if (!v.ok) throw new RoutingException(RoutingErrorCode.InvalidVerdicts, 'the verdicts do not match the AI findings of the study', v.problems);
      const readId = randomUUID();
      const signedAt = now.toISOString();
      const eventId = derivedEventId(readId, 'read.signed');
      const payload: ReadSigned = {
        study: s.study,
        readId,
        status,
        reader: readerRef(this.options.readers, reader.id),
        verdicts: v.verdicts,
        impression: body.impression,
        conclusionCodes: body.conclusionCodes,
        priority: s.decision.priority,
        claimedAt: status === 'final' ? s.hold?.claimedAt : undefined,
        signedAt,
      };
      const records: JournalRecord[] = [
        ...this.alerts.acknowledgeBySigning(uid, reader.id, now),
        { t: 'signed', uid, read: { readId, status, readerId: reader.id, signedAt } },
        eventRecord('readSigned', eventId, s.study, s.traceId, payload),
      ];
      await this.store.commit(records);
      this.logger.info({ studyInstanceUid: uid, readerId: reader.id, readId, status, verdicts: v.verdicts.length }, 'read signed');
      return { readId, status, signedAt, eventId };
    });
    await this.flushQuietly();
    return result;
  }

  private reader(id: string): Reader {
    const r = this.options.readers.find((x) => x.id === id);
    if (!r) throw new RoutingException(RoutingErrorCode.UnknownReader, `no reader ${id} in the reader directory`);
    return r;
  }

  private study(uid: string): StudyState {
    const s = this.store.state.studies.get(uid);
    if (!s) throw new RoutingException(RoutingErrorCode.StudyNotFound, `no study ${uid} on the worklist`);
    return s;
  }

  private open(uid: string): StudyState {
    const s = this.study(uid);
    if (s.reads.length > 0) throw new RoutingException(RoutingErrorCode.AlreadySigned, `study ${uid} is already signed`);
    return s;
  }

  /** The change is durable already; a bus that refuses now gets the events on the next tick. */
  private async flushQuietly(): Promise<void> {
    await this.outbox.flush().catch((err: unknown) => this.logger.warn({ reason: err instanceof Error ? err.message : String(err) }, 'outbox not flushed; retrying next tick'));
  }
}
