import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { EVENTS, type AlertChanged, type Envelope, type PriorityDecided, type ReadSigned, type StudyReceived, type StudyUpdated } from '@triage/contracts';
import { EventPublisher, HealthRegistry, ROOT_LOGGER } from '@triage/nest-platform';
import type { Logger } from '@triage/observability';
import { ReportingEngine } from './reporting.engine';
import { REPORTING_OPTIONS, type ReportingOptions } from './reporting.options';

/** The Nest face of the ReportingEngine: publishes through the mesh's EventPublisher, starts and stops delivery. */
@Injectable()
export class ReportingService implements OnModuleInit, OnApplicationShutdown {
  readonly engine: ReportingEngine;

  constructor(
    publisher: EventPublisher,
    health: HealthRegistry,
    @Inject(REPORTING_OPTIONS) options: ReportingOptions,
    @Inject(ROOT_LOGGER) root: Logger,
  ) {
    const source = 'reporting' as const;
    this.engine = new ReportingEngine(
      options,
      {
        reportIssued: async (payload, traceId, eventId) => {
          await publisher.publish(EVENTS.reportIssued, payload, { source, subject: payload.study.studyInstanceUid, traceId, eventId });
        },
        deliveryRecorded: async (payload, traceId, eventId) => {
          await publisher.publish(EVENTS.deliveryRecorded, payload, { source, subject: payload.study.studyInstanceUid, traceId, eventId });
        },
      },
      root.child({ component: 'reporting' }),
    );
    health.register('reporting-outbox', async () => {
      const counts = this.engine.outbox.counts();
      if (counts.pending > 10_000) throw new Error(`${counts.pending} deliveries pending`);
    });
  }

  onModuleInit(): Promise<void> {
    return this.engine.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.engine.stop();
  }

  onStudyReceived(env: Envelope<StudyReceived | StudyUpdated>): Promise<void> {
    return this.engine.onStudyReceived(env);
  }
  onPriorityDecided(env: Envelope<PriorityDecided>): Promise<void> {
    return this.engine.onPriorityDecided(env);
  }
  onReadSigned(env: Envelope<ReadSigned>): Promise<void> {
    return this.engine.onReadSigned(env);
  }
  onAlertChanged(env: Envelope<AlertChanged>): Promise<void> {
    return this.engine.onAlertChanged(env);
  }
}
