import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { DiagnosticReport } from '@medplum/fhirtypes';
import { ROOT_LOGGER, RuntimeInfo } from '@triage/nest-platform';
import type { Logger } from '@triage/observability';
import { buildReportResources } from '@triage/reporting-domain';
import { REPORTING_OPTIONS, type ReportingOptions } from '../reporting.options';
import { ReportingService } from '../reporting.service';
import { OwnFhirEndpoint } from './own-fhir-endpoint';
import { ReportSubscriptions } from './subscriptions';

export const FHIR_BASE_PATH = 'fhir/R4';

/** The mesh's own FHIR endpoint and its Subscriptions, fed by the reporting engine as reports change. */
@Injectable()
export class ReportingFhirService implements OnModuleInit {
  readonly endpoint: OwnFhirEndpoint;
  readonly subscriptions: ReportSubscriptions;
  private readonly logger: Logger;

  constructor(
    private readonly reporting: ReportingService,
    runtime: RuntimeInfo,
    @Inject(REPORTING_OPTIONS) options: ReportingOptions,
    @Inject(ROOT_LOGGER) root: Logger,
  ) {
    this.logger = root.child({ component: 'reporting-fhir' });
    const base = () => `${runtime.httpUrl ?? ''}/${FHIR_BASE_PATH}`;
    this.endpoint = new OwnFhirEndpoint(base);
    const engine = reporting.engine;
    this.subscriptions = new ReportSubscriptions(
      options.dataDir,
      this.logger,
      base,
      (n) =>
        engine.outbox.enqueue({
          id: n.id,
          channel: 'webhook',
          study: n.study,
          traceId: n.traceId,
          deliveryId: n.id.slice(0, 128),
          messageType: 'Subscription notification',
          target: new URL(n.url).origin,
          body: n.request,
          createdAt: new Date().toISOString(),
        }),
      options.subscriptionOrigins,
    );
    engine.onResourcesChanged(async ({ state, report, resources, event }) => {
      await this.endpoint.put(resources);
      await this.subscriptions.notify(report as DiagnosticReport, event, state.study);
    });
  }

  /** Rebuilds the endpoint's repository from the durable study state. */
  async onModuleInit(): Promise<void> {
    await this.subscriptions.open();
    let studies = 0;
    for (const state of await this.reporting.engine.store.all()) {
      if (!state.decision && !state.read) continue;
      // Validated when they were emitted; rebuilding 10k studies with validation would hold start-up for a minute.
      const { resources } = buildReportResources(state, new Date(state.firstIssuedAt ?? state.study.receivedAt), { validate: false });
      await this.endpoint.put(resources);
      studies++;
    }
    this.logger.info({ studies }, 'FHIR endpoint loaded');
  }
}
