import { Inject, Injectable } from '@nestjs/common';
import { derivedEventId, EVENTS, type Envelope, type PriorityDecided } from '@triage/contracts';
import { EventPublisher, ROOT_LOGGER } from '@triage/nest-platform';
import type { Logger } from '@triage/observability';
import { assertValidResource, buildPreliminaryReport, ensureFhirDefinitions } from '@triage/reporting-domain';

/** Issues the AI pre-read's preliminary DiagnosticReport for each priority decision. */
@Injectable()
export class ReportingService {
  private readonly logger: Logger;

  constructor(
    private readonly publisher: EventPublisher,
    @Inject(ROOT_LOGGER) root: Logger,
  ) {
    this.logger = root.child({ component: 'reporting' });
    // Load the FHIR definitions at start-up rather than on the first study.
    ensureFhirDefinitions();
  }

  async onPriorityDecided(env: Envelope<PriorityDecided>): Promise<void> {
    const decision = env.payload;
    const issued = new Date();
    const report = buildPreliminaryReport(decision, issued);
    const reportId = report.id ?? '';
    // Every resource is validated before it leaves; an invalid one is a bug and is dead-lettered.
    assertValidResource(report);
    await this.publisher.publish(
      EVENTS.reportIssued,
      {
        study: decision.study,
        reportId,
        status: 'preliminary',
        priority: decision.priority,
        diagnosticReport: report as unknown as Record<string, unknown>,
        issuedAt: issued.toISOString(),
      },
      {
        source: 'reporting',
        subject: decision.study.studyInstanceUid,
        traceId: env.traceId,
        eventId: derivedEventId(env.eventId, EVENTS.reportIssued.type),
      },
    );
    this.logger.info({ reportId: report.id, status: report.status, priority: decision.priority }, 'DiagnosticReport issued');
  }
}
