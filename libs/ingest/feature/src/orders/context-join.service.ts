import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { type ClinicalContext, derivedEventId, EVENTS, type StudyRef } from '@triage/contracts';
import { contextFingerprint, encounterApplies, joinContext, type OrderRecord, priorsFingerprint, type StudyRecord, toStudyReceivedPayload } from '@triage/ingest-domain';
import { EventPublisher, ROOT_LOGGER } from '@triage/nest-platform';
import type { Logger } from '@triage/observability';
import { DicomwebUrls } from '../dicomweb-urls.service';
import { PriorsService } from '../priors/priors.service';
import { StudyIndex } from '../study-index.service';
import { OrderStore } from './order-store.service';

const RETRY_MS = 2000;
const PRIORS_ATTEMPTS = 3;
/** At start-up, studies received this recently that have no priors yet get one more lookup. */
const PRIORS_CATCH_UP_MS = 24 * 3600 * 1000;
const DEFAULT_FINGERPRINT = contextFingerprint({ patientClass: 'unknown', orderPriority: 'unknown' });
const NO_PRIORS = priorsFingerprint(undefined);

/**
 * Joins orders, encounters and priors onto studies, whichever arrives first. Order first: `enrich()` puts
 * the context into the study's `study.received`. Study first: `recordsStored()` publishes `study.updated`
 * (changes ['context-updated'], next revision) for every handed-on study whose context changed. Priors are
 * looked up once a study is handed on and announced the same way (['priors-attached']). What was
 * announced is stored, so a resent order or a restart does not announce the same context twice; studies
 * whose update could not be published are retried, and reconciled again at start-up.
 */
@Injectable()
export class ContextJoinService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log: Logger;
  private readonly retry = new Set<string>();
  /** Handed-on studies by accession number and by patient id: what an order or an ADT can concern. */
  private readonly byAccession = new Map<string, Set<string>>();
  private readonly byPatient = new Map<string, Set<string>>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly store: OrderStore,
    private readonly index: StudyIndex,
    private readonly publisher: EventPublisher,
    private readonly urls: DicomwebUrls,
    private readonly priors: PriorsService,
    @Inject(ROOT_LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ component: 'context-join' });
  }

  /**
   * The study as `study.received` carries it: joined context and the priors known so far (call under the
   * study lock, before publishing). A study whose priors were not looked up yet gets its lookup started.
   */
  async enrich(record: StudyRecord, study: StudyRef): Promise<StudyRef> {
    this.track(record);
    const context = this.joined(record);
    const priors = this.store.priorsOf(record.studyInstanceUid);
    const uid = record.studyInstanceUid;
    const announced = { studyInstanceUid: uid, fingerprint: contextFingerprint(context), ...(priors ? { priorsFingerprint: priorsFingerprint(priors) } : {}) };
    const previous = this.store.announcement(uid);
    if (previous?.fingerprint !== announced.fingerprint || previous?.priorsFingerprint !== announced.priorsFingerprint) {
      await this.store.saveAnnouncement({ ...announced, revision: previous?.revision ?? 0 });
    }
    if (!priors && this.priors.enabled()) setImmediate(() => void this.lookupPriors(uid, 1));
    return { ...study, context, ...(priors ? { priors } : {}) };
  }

  /** After orders or encounters were stored: announce the new context of every handed-on study they concern. */
  async recordsStored(records: OrderRecord[]): Promise<void> {
    const studies = new Set<string>();
    for (const r of records) for (const uid of this.studiesOf(r)) studies.add(uid);
    for (const uid of studies) await this.announce(uid);
  }

  onApplicationBootstrap(): void {
    // Reconcile: a crash between storing an order and publishing its update leaves a difference to announce.
    const recent = Date.now() - PRIORS_CATCH_UP_MS;
    for (const r of this.index.list()) {
      if (!r.publishedAt) continue;
      this.track(r);
      this.retry.add(r.studyInstanceUid);
      // A lookup the PACS kept failing (or a crash) left a recent study without priors: look again, once.
      if (this.priors.enabled() && !this.store.priorsOf(r.studyInstanceUid) && Date.parse(r.receivedAt) >= recent) {
        setImmediate(() => void this.lookupPriors(r.studyInstanceUid, PRIORS_ATTEMPTS));
      }
    }
    this.schedule(0);
  }

  private track(record: StudyRecord): void {
    const add = (m: Map<string, Set<string>>, key: string | undefined) => {
      if (!key) return;
      const set = m.get(key) ?? new Set<string>();
      set.add(record.studyInstanceUid);
      m.set(key, set);
    };
    add(this.byAccession, record.accessionNumber);
    add(this.byPatient, record.patient.id);
  }

  onModuleDestroy(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private joined(record: Pick<StudyRecord, 'accessionNumber' | 'studyInstanceUid' | 'patient' | 'receivedAt'>): ClinicalContext {
    return joinContext(this.store.findOrder(record.accessionNumber, record.studyInstanceUid), this.store.findEncounter(record.patient, record.receivedAt));
  }

  private studiesOf(r: OrderRecord): string[] {
    if (r.kind === 'encounter') {
      return [...(this.byPatient.get(r.patient.id ?? '') ?? [])].filter((uid) => {
        const s = this.index.get(uid);
        return s && (!s.patient.issuer || !r.patient.issuer || s.patient.issuer === r.patient.issuer) && encounterApplies(r, s.receivedAt);
      });
    }
    const out = new Set<string>(r.accessionNumber ? this.byAccession.get(r.accessionNumber) : []);
    if (r.studyInstanceUid && this.index.get(r.studyInstanceUid)) out.add(r.studyInstanceUid);
    return [...out];
  }

  /** Publishes study.updated when the study was handed on and its context differs from what was announced. */
  private async announce(studyUid: string): Promise<void> {
    try {
      await this.index.withStudyLock(studyUid, async () => {
        const record = this.index.get(studyUid);
        // Not handed on yet, or a publish is pending: that study.received / study.updated carries the context.
        if (!record?.publishedAt || record.unpublished) return;
        const context = this.joined(record);
        const priors = this.store.priorsOf(studyUid);
        const fingerprint = contextFingerprint(context);
        const priorsFp = priors ? priorsFingerprint(priors) : undefined;
        const previous = this.store.announcement(studyUid);
        const changes: ('context-updated' | 'priors-attached')[] = [];
        if ((previous?.fingerprint ?? DEFAULT_FINGERPRINT) !== fingerprint) changes.push('context-updated');
        if (priorsFp !== undefined && (previous?.priorsFingerprint ?? NO_PRIORS) !== priorsFp) changes.push('priors-attached');
        if (changes.length === 0) return;
        if (!this.urls.base()) throw new Error('public URL not known yet');
        // One revision sequence per study, shared with the instances-added updates the study index counts.
        const revision = Math.max(record.revision ?? 0, previous?.revision ?? 0) + 1;
        const base = toStudyReceivedPayload(record, { retrieveUrl: this.urls.study(studyUid) });
        await this.publisher.publish(
          EVENTS.studyUpdated,
          { ...base, study: { ...base.study, context, ...(priors ? { priors } : {}) }, changes, revision, addedInstanceCount: 0 },
          { source: 'ingest', subject: studyUid, traceId: record.traceId, eventId: derivedEventId(`${studyUid}:${fingerprint}:${priorsFp ?? ''}`, EVENTS.studyUpdated.type) },
        );
        await this.store.saveAnnouncement({ studyInstanceUid: studyUid, fingerprint, ...(priorsFp ? { priorsFingerprint: priorsFp } : {}), revision });
        await this.index.markRevision(studyUid, revision);
        this.log.info({ studyInstanceUid: studyUid, revision, changes, priors: priors?.length ?? 0, patientClass: context.patientClass, orderPriority: context.orderPriority }, 'study.updated published');
      });
      this.retry.delete(studyUid);
    } catch (err) {
      this.log.error({ studyInstanceUid: studyUid, reason: (err as Error).message }, 'study.updated not published; will retry');
      this.retry.add(studyUid);
      this.schedule(RETRY_MS);
    }
  }

  /** QIDO-RS lookup of the study's priors, stored, then announced; a failing PACS is tried a few times. */
  private async lookupPriors(studyUid: string, attempt: number): Promise<void> {
    const record = this.index.get(studyUid);
    if (!record || this.stopped) return;
    try {
      await this.store.savePriors(studyUid, await this.priors.lookup(record));
    } catch (err) {
      this.log.warn({ studyInstanceUid: studyUid, attempt, reason: (err as Error).message }, 'priors lookup failed');
      if (attempt < PRIORS_ATTEMPTS && !this.stopped) setTimeout(() => void this.lookupPriors(studyUid, attempt + 1), RETRY_MS * attempt).unref();
      return;
    }
    await this.announce(studyUid);
  }

  private schedule(delayMs: number): void {
    if (this.stopped || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.sweep();
    }, delayMs);
    this.timer.unref();
  }

  private async sweep(): Promise<void> {
    for (const uid of [...this.retry]) {
      if (this.stopped) return;
      this.retry.delete(uid);
      await this.announce(uid);
    }
  }
}
