import { Inject, Injectable, Optional, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { derivedEventId, EVENTS } from '@triage/contracts';
import { instanceCount, pendingStudyEvent, settlesAt, toStudyReceivedPayload, toStudyUpdatedPayload, type StudyRecord } from '@triage/ingest-domain';
import { EventPublisher, ROOT_LOGGER } from '@triage/nest-platform';
import type { Logger } from '@triage/observability';
import { CompletenessPolicy } from './completeness.policy';
import { DicomwebUrls } from './dicomweb-urls.service';
import { IngestErrorCode, IngestException } from './ingest.exception';
import { ContextJoinService } from './orders/context-join.service';
import { StudyIndex } from './study-index.service';

const SWEEP_MS = 2000;

/**
 * Hands studies on. A study's first hand-over is `study.received`; later instances give `study.updated`
 * (instances-added, revision + 1), never a second study.received. STOW-RS requests publish when they
 * complete; studies arriving over C-STORE are published once stable (their source's quiet period after
 * the last instance). A study whose event could not be published stays marked in the index (on disk);
 * the next change to it, its settle timer or the start-up sweep publishes it. Event ids are derived from
 * the study's trace and revision, so a publish repeated after a crash is de-duplicated downstream.
 */
@Injectable()
export class StudyEventsService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log: Logger;
  private timer: NodeJS.Timeout | undefined;
  private readonly settleTimers = new Map<string, NodeJS.Timeout>();
  private stopped = false;

  constructor(
    private readonly index: StudyIndex,
    private readonly publisher: EventPublisher,
    private readonly urls: DicomwebUrls,
    private readonly completeness: CompletenessPolicy,
    @Inject(ROOT_LOGGER) logger: Logger,
    @Optional() private readonly context?: ContextJoinService,
  ) {
    this.log = logger.child({ component: 'study-events' });
  }

  /** Publishes the study's pending change, if any; throws IngestException(PublishFailed) when the bus refuses. */
  async publishIfPending(studyUid: string): Promise<boolean> {
    this.clearSettleTimer(studyUid);
    return this.index.withStudyLock(studyUid, async () => {
      const record = this.index.get(studyUid);
      if (!record?.unpublished) return false;
      if (!this.urls.base()) throw new IngestException(IngestErrorCode.PublishFailed, 'public URL not known yet');
      // The pending state is on disk before its event leaves.
      await this.index.flush(studyUid);
      const count = instanceCount(record);
      const next = pendingStudyEvent(record);
      const type = next.kind === 'received' ? EVENTS.studyReceived.type : EVENTS.studyUpdated.type;
      try {
        await this.publishEvent(record, next);
      } catch (err) {
        this.log.error({ studyInstanceUid: studyUid, reason: (err as Error).message }, `${type} not published; study stays pending`);
        throw new IngestException(IngestErrorCode.PublishFailed, `event bus refused ${type}`, { cause: err });
      }
      await this.index.markPublished(studyUid, count, next.kind === 'updated' ? next.revision : undefined);
      this.log.info({ studyInstanceUid: studyUid, instances: count, ...(next.kind === 'updated' ? { revision: next.revision, added: next.addedInstanceCount } : {}) }, `${type} published`);
      return true;
    });
  }

  private async publishEvent(record: StudyRecord, next: ReturnType<typeof pendingStudyEvent>): Promise<void> {
    const studyUid = record.studyInstanceUid;
    const retrieveUrl = this.urls.study(studyUid);
    const opts = { source: 'ingest' as const, subject: studyUid, traceId: record.traceId };
    if (next.kind === 'received') {
      const payload = toStudyReceivedPayload(record, { retrieveUrl });
      // The order / encounter joined so far (order first), and priors; later ones become study.updated.
      if (this.context) payload.study = await this.context.enrich(record, payload.study);
      await this.publisher.publish(EVENTS.studyReceived, payload, {
        ...opts,
        eventId: derivedEventId(record.traceId, EVENTS.studyReceived.type),
      });
    } else {
      const payload = toStudyUpdatedPayload(record, next, { retrieveUrl });
      if (this.context) payload.study = await this.context.enrich(record, payload.study);
      await this.publisher.publish(EVENTS.studyUpdated, payload, {
        ...opts,
        eventId: derivedEventId(record.traceId, `${EVENTS.studyUpdated.type}:${next.revision}`),
      });
    }
  }

  /**
   * A study received instance by instance (C-STORE) changed: (re)arms its settle timer, so it is handed
   * on once its source's quiet period has passed without a new instance.
   */
  scheduleSettle(studyUid: string): void {
    const record = this.index.get(studyUid);
    if (!record?.unpublished || this.stopped) return;
    this.clearSettleTimer(studyUid);
    const delay = Math.max(0, settlesAt(record, this.completeness.quietPeriodMs(record.source)) - Date.now());
    const timer = setTimeout(() => void this.settle(studyUid), delay);
    timer.unref();
    this.settleTimers.set(studyUid, timer);
  }

  private async settle(studyUid: string): Promise<void> {
    this.settleTimers.delete(studyUid);
    const record = this.index.get(studyUid);
    if (!record?.unpublished || this.stopped) return;
    if (settlesAt(record, this.completeness.quietPeriodMs(record.source)) > Date.now()) {
      this.scheduleSettle(studyUid);
      return;
    }
    await this.publishIfPending(studyUid).catch(() => this.schedule(SWEEP_MS));
  }

  private clearSettleTimer(studyUid: string): void {
    const timer = this.settleTimers.get(studyUid);
    if (timer) clearTimeout(timer);
    this.settleTimers.delete(studyUid);
  }

  /** Start-up: studies left pending by a failed publish or a crash are published in the background. */
  onApplicationBootstrap(): void {
    this.schedule(0);
  }

  onModuleDestroy(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    for (const timer of this.settleTimers.values()) clearTimeout(timer);
    this.settleTimers.clear();
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.sweep(), delayMs);
    this.timer.unref();
  }

  private async sweep(): Promise<void> {
    const pending = this.index.pendingStudies();
    if (pending.length === 0) return;
    let failed = 0;
    if (this.urls.base()) {
      for (const uid of pending) {
        if (this.stopped) return;
        // Studies still arriving instance by instance wait for their quiet period, even after a restart.
        const record = this.index.get(uid);
        if (record?.protocol === 'c-store' && record.source !== undefined && settlesAt(record, this.completeness.quietPeriodMs(record.source)) > Date.now()) {
          if (!this.settleTimers.has(uid)) this.scheduleSettle(uid);
          continue;
        }
        await this.publishIfPending(uid).catch(() => failed++);
      }
    } else {
      failed = pending.length; // the HTTP server is not listening yet
    }
    if (failed > 0) this.schedule(SWEEP_MS);
  }
}
