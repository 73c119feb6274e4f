import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { type ClinicalContext, derivedEventId, EVENTS } from '@triage/contracts';
import { contextFingerprint, joinContext, type OrderRecord, type StudyRecord, toStudyReceivedPayload } from '@triage/ingest-domain';
import { EventPublisher, ROOT_LOGGER } from '@triage/nest-platform';
import type { Logger } from '@triage/observability';
import { DicomwebUrls } from '../dicomweb-urls.service';
import { StudyIndex } from '../study-index.service';
import { OrderStore } from './order-store.service';

const RETRY_MS = 2000;
const DEFAULT_FINGERPRINT = contextFingerprint({ patientClass: 'unknown', orderPriority: 'unknown' });

/**
 * Joins orders and encounters onto studies, whichever arrives first. Order first: `contextFor()` puts the
 * context into the study's `study.received`. Study first: `ordersStored()` publishes `study.updated`
 * (changes ['context-updated'], next revision) for every handed-on study whose context changed. What was
 * announced is stored, so a resent order or a restart does not announce the same context twice; studies
 * whose update could not be published are retried, and reconciled again at start-up.
 */
@Injectable()
export class ContextJoinService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log: Logger;
  private readonly retry = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly store: OrderStore,
    private readonly index: StudyIndex,
    private readonly publisher: EventPublisher,
    private readonly urls: DicomwebUrls,
    @Inject(ROOT_LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ component: 'context-join' });
  }

  /** The study's joined context, as `study.received` carries it (call under the study lock, before publishing). */
  async contextFor(record: StudyRecord): Promise<ClinicalContext> {
    const context = this.joined(record);
    const fingerprint = contextFingerprint(context);
    const previous = this.store.announcement(record.studyInstanceUid);
    if (previous?.fingerprint !== fingerprint) {
      await this.store.saveAnnouncement({ studyInstanceUid: record.studyInstanceUid, fingerprint, revision: previous?.revision ?? 0 });
    }
    return context;
  }

  /** After orders or encounters were stored: announce the new context of every handed-on study they concern. */
  async recordsStored(records: OrderRecord[]): Promise<void> {
    const studies = new Set<string>();
    for (const r of records) for (const uid of this.studiesOf(r)) studies.add(uid);
    for (const uid of studies) await this.announce(uid);
  }

  onApplicationBootstrap(): void {
    // Reconcile: a crash between storing an order and publishing its update leaves a difference to announce.
    for (const r of this.index.list()) if (r.publishedAt) this.retry.add(r.studyInstanceUid);
    this.schedule(0);
  }

  onModuleDestroy(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private joined(record: Pick<StudyRecord, 'accessionNumber' | 'studyInstanceUid' | 'patient'>): ClinicalContext {
    return joinContext(this.store.findOrder(record.accessionNumber, record.studyInstanceUid), this.store.findEncounter(record.patient));
  }

  private studiesOf(r: OrderRecord): string[] {
    if (r.kind === 'encounter') {
      return this.index
        .list()
        .filter((s) => s.patient.id === r.patient.id && (!s.patient.issuer || !r.patient.issuer || s.patient.issuer === r.patient.issuer))
        .map((s) => s.studyInstanceUid);
    }
    const out = new Set<string>();
    if (r.studyInstanceUid && this.index.get(r.studyInstanceUid)) out.add(r.studyInstanceUid);
    if (r.accessionNumber) for (const s of this.index.list()) if (s.accessionNumber === r.accessionNumber) out.add(s.studyInstanceUid);
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
        const fingerprint = contextFingerprint(context);
        const previous = this.store.announcement(studyUid);
        if ((previous?.fingerprint ?? DEFAULT_FINGERPRINT) === fingerprint) return;
        if (!this.urls.base()) throw new Error('public URL not known yet');
        const revision = (previous?.revision ?? 0) + 1;
        const base = toStudyReceivedPayload(record, { retrieveUrl: this.urls.study(studyUid) });
        await this.publisher.publish(
          EVENTS.studyUpdated,
          { ...base, study: { ...base.study, context }, changes: ['context-updated'], revision, addedInstanceCount: 0 },
          { source: 'ingest', subject: studyUid, traceId: record.traceId, eventId: derivedEventId(`${studyUid}:${fingerprint}`, EVENTS.studyUpdated.type) },
        );
        await this.store.saveAnnouncement({ studyInstanceUid: studyUid, fingerprint, revision });
        this.log.info({ studyInstanceUid: studyUid, revision, patientClass: context.patientClass, orderPriority: context.orderPriority }, 'study.updated published (context-updated)');
      });
      this.retry.delete(studyUid);
    } catch (err) {
      this.log.error({ studyInstanceUid: studyUid, reason: (err as Error).message }, 'study.updated not published; will retry');
      this.retry.add(studyUid);
      this.schedule(RETRY_MS);
    }
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
