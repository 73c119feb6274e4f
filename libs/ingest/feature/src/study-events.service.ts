import { Inject, Injectable, Optional, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { EVENTS } from '@triage/contracts';
import { instanceCount, toStudyReceivedPayload } from '@triage/ingest-domain';
import { EventPublisher, ROOT_LOGGER } from '@triage/nest-platform';
import type { Logger } from '@triage/observability';
import { DicomwebUrls } from './dicomweb-urls.service';
import { IngestErrorCode, IngestException } from './ingest.exception';
import { ContextJoinService } from './orders/context-join.service';
import { StudyIndex } from './study-index.service';

const SWEEP_MS = 2000;

/**
 * Publishes `study.received` once a study's files and index entry are durable. A study whose event could
 * not be published stays marked in the index; the next change to it, or the start-up sweep, publishes it.
 */
@Injectable()
export class StudyEventsService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log: Logger;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly index: StudyIndex,
    private readonly publisher: EventPublisher,
    private readonly urls: DicomwebUrls,
    @Inject(ROOT_LOGGER) logger: Logger,
    @Optional() private readonly context?: ContextJoinService,
  ) {
    this.log = logger.child({ component: 'study-events' });
  }

  /** Publishes the study's pending change, if any; throws IngestException(PublishFailed) when the bus refuses. */
  async publishIfPending(studyUid: string): Promise<boolean> {
    return this.index.withStudyLock(studyUid, async () => {
      const record = this.index.get(studyUid);
      if (!record?.unpublished) return false;
      if (!this.urls.base()) throw new IngestException(IngestErrorCode.PublishFailed, 'public URL not known yet');
      const count = instanceCount(record);
      try {
        const payload = toStudyReceivedPayload(record, { retrieveUrl: this.urls.study(studyUid) });
        // The order / encounter joined so far (order first), and priors; later ones become study.updated.
        if (this.context) payload.study = await this.context.enrich(record, payload.study);
        await this.publisher.publish(
          EVENTS.studyReceived,
          payload,
          { source: 'ingest', subject: studyUid, traceId: record.traceId },
        );
      } catch (err) {
        this.log.error({ studyInstanceUid: studyUid, reason: (err as Error).message }, 'study.received not published; study stays pending');
        throw new IngestException(IngestErrorCode.PublishFailed, 'event bus refused study.received', { cause: err });
      }
      await this.index.markPublished(studyUid, count);
      this.log.info({ studyInstanceUid: studyUid, instances: count }, 'study.received published');
      return true;
    });
  }

  /** Start-up: studies left pending by a failed publish or a crash are published in the background. */
  onApplicationBootstrap(): void {
    this.schedule(0);
  }

  onModuleDestroy(): void {
    this.stopped = true;
    clearTimeout(this.timer);
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
        await this.publishIfPending(uid).catch(() => failed++);
      }
    } else {
      failed = pending.length; // the HTTP server is not listening yet
    }
    if (failed > 0) this.schedule(SWEEP_MS);
  }
}
