import { join } from 'node:path';
import {
  derivedEventId,
  EVENTS,
  type AlertChanged,
  type DeliveryRecorded,
  type Envelope,
  type PriorityDecided,
  type ReadSigned,
  type ReportIssued,
  type StudyReceived,
  type StudyRef,
  type StudyUpdated,
} from '@triage/contracts';
import type { DiagnosticReport, Resource } from '@medplum/fhirtypes';
import type { Logger } from '@triage/observability';
import {
  buildAdtAlert,
  buildFinalOru,
  buildPreliminaryOru,
  buildReportResources,
  ensureFhirDefinitions,
  toTransactionBundle,
  type BuiltHl7Message,
} from '@triage/reporting-domain';
import { Hl7Sender } from './delivery/hl7.sender';
import { webhookSender } from './delivery/webhook.sender';
import { FhirSender } from './delivery/fhir.sender';
import { DeliveryOutbox, type AttemptRecord } from './delivery/outbox';
import { FhirTokenProvider } from './delivery/smart-auth';
import type { ReportingOptions } from './reporting.options';
import { StudyStateStore, type StoredStudyState } from './study-state.store';

/** Publishes the two events reporting emits (the Nest EventPublisher in the service). */
export interface ReportingPublisher {
  reportIssued(payload: ReportIssued, traceId: string, eventId: string): Promise<void>;
  deliveryRecorded(payload: DeliveryRecorded, traceId: string, eventId: string): Promise<void>;
}

/** Told when the resources of a study changed (the mesh's own FHIR endpoint and its subscriptions). */
export type ResourcesListener = (changed: { state: StoredStudyState; report: DiagnosticReport; resources: Resource[]; event: Envelope }) => Promise<void>;

/**
 * Reporting without the framework: keeps each study's state, rebuilds its validated FHIR resources and
 * HL7 messages from it, and queues them in the durable outbox before the handled event is acknowledged.
 * Every output id derives from the input event id, so a redelivered event queues nothing new.
 */
export class ReportingEngine {
  readonly store: StudyStateStore;
  readonly outbox: DeliveryOutbox;
  private readonly hl7?: Hl7Sender;
  private readonly fhir?: FhirSender;
  private readonly listeners: ResourcesListener[] = [];

  constructor(
    private readonly options: ReportingOptions,
    private readonly publisher: ReportingPublisher,
    private readonly logger: Logger,
  ) {
    ensureFhirDefinitions();
    this.store = new StudyStateStore(join(options.dataDir, 'studies'));
    this.outbox = new DeliveryOutbox(join(options.dataDir, 'outbox'), options.policy, (rec) => this.recordAttempt(rec));
    if (options.fhir) this.fhir = new FhirSender(options.fhir.baseUrl, new FhirTokenProvider(options.fhir.auth), options.fhir.timeoutMs);
    if (options.mllp) this.hl7 = new Hl7Sender(options.mllp.host, options.mllp.port, options.mllp.ackTimeoutMs);
  }

  onResourcesChanged(listener: ResourcesListener): void {
    this.listeners.push(listener);
  }

  async start(): Promise<void> {
    await this.outbox.open();
    if (this.fhir) this.outbox.register('fhir', this.fhir.send);
    if (this.hl7) this.outbox.register('hl7', this.hl7.send);
    this.outbox.register('webhook', webhookSender());
    this.logger.info({ fhir: this.fhir?.baseUrl ?? 'off', mllp: this.hl7?.target ?? 'off', outbox: this.outbox.counts() }, 'reporting delivery started');
  }

  async stop(): Promise<void> {
    await this.outbox.close();
    await this.hl7?.close();
  }

  async onStudyReceived(env: Envelope<StudyReceived | StudyUpdated>): Promise<void> {
    const p = env.payload;
    await this.store.update(p.study.studyInstanceUid, (s) => ({ ...s, study: s?.study ?? p.study, series: p.series, retrieveUrl: p.retrieveUrl }));
  }

  async onPriorityDecided(env: Envelope<PriorityDecided>): Promise<void> {
    const d = env.payload;
    const state = await this.store.update(d.study.studyInstanceUid, (s) => ({ ...s, study: d.study, decision: d, firstIssuedAt: s?.firstIssuedAt ?? new Date().toISOString() }));
    await this.issue(env, state);
    // After a signed read the EHR already has the final result: a late preliminary ORU would step it back.
    if (this.hl7 && !state.read) await this.queueHl7(env, d.study, buildPreliminaryOru(d, env.eventId, this.options.hl7.parties, env.occurredAt));
  }

  async onReadSigned(env: Envelope<ReadSigned>): Promise<void> {
    const r = env.payload;
    const state = await this.store.update(r.study.studyInstanceUid, (s) => {
      // A read older than the one already applied (out of order or redelivered) does not replace it.
      const keep = s?.read && Date.parse(s.read.signedAt) > Date.parse(r.signedAt);
      return { ...s, study: s?.study ?? r.study, read: keep ? s?.read : r, firstIssuedAt: s?.firstIssuedAt ?? new Date().toISOString() };
    });
    await this.issue(env, state);
    if (this.hl7) await this.queueHl7(env, r.study, buildFinalOru(r, env.eventId, this.options.hl7.parties, env.occurredAt));
  }

  async onAlertChanged(env: Envelope<AlertChanged>): Promise<void> {
    const a = env.payload;
    if (a.action !== 'raised' || !a.channels.includes('hl7-adt') || !this.hl7) return;
    await this.queueHl7(env, a.study, buildAdtAlert(a, env.eventId, this.options.hl7.parties, env.occurredAt, this.options.hl7.adtEvent));
  }

  /** Rebuilds the study's resources, queues the FHIR bundle, then announces the report (report.issued). */
  private async issue(env: Envelope, state: StoredStudyState): Promise<void> {
    const issued = new Date(state.firstIssuedAt ?? env.occurredAt);
    const { report, resources } = buildReportResources(state, issued);
    const bundleId = derivedEventId(env.eventId, 'fhir-transaction');
    if (this.fhir) {
      await this.outbox.enqueue({
        id: `fhir-${bundleId}`,
        channel: 'fhir',
        study: state.study,
        traceId: env.traceId,
        deliveryId: bundleId,
        messageType: 'transaction Bundle',
        body: toTransactionBundle(resources, bundleId, new Date()),
        createdAt: new Date().toISOString(),
      });
    }
    for (const listener of this.listeners) await listener({ state, report, resources, event: env });
    await this.publisher.reportIssued(
      {
        study: state.study,
        reportId: report.id as string,
        status: report.status as ReportIssued['status'],
        priority: state.read?.priority ?? state.decision?.priority ?? 'routine',
        diagnosticReport: report as unknown as Record<string, unknown>,
        issuedAt: report.issued as string,
      },
      env.traceId,
      derivedEventId(env.eventId, EVENTS.reportIssued.type),
    );
    this.logger.info({ reportId: report.id, status: report.status, resources: resources.length }, 'DiagnosticReport issued');
  }

  private async queueHl7(env: Envelope, study: StudyRef, msg: BuiltHl7Message): Promise<void> {
    const queued = await this.outbox.enqueue({
      id: `hl7-${msg.controlId}`,
      channel: 'hl7',
      study,
      traceId: env.traceId,
      deliveryId: msg.controlId,
      messageType: msg.messageType.split('^').slice(0, 2).join('^'),
      body: msg.text,
      createdAt: new Date().toISOString(),
    });
    if (!queued) this.logger.debug({ controlId: msg.controlId }, 'HL7 message already queued for this event');
  }

  private async recordAttempt(rec: AttemptRecord): Promise<void> {
    const { job } = rec;
    const target = job.target ?? (job.channel === 'fhir' ? (this.fhir?.baseUrl ?? 'fhir') : (this.hl7?.target ?? 'mllp'));
    const outcome = rec.outcome === 'dead-letter' ? 'dead-lettered' : rec.outcome;
    const log = { channel: job.channel, deliveryId: job.deliveryId, messageType: job.messageType, attempt: rec.attempt, outcome, detail: rec.detail, traceId: job.traceId };
    if (outcome === 'dead-lettered') this.logger.error(log, 'delivery dead-lettered');
    else if (outcome === 'retrying') this.logger.warn(log, 'delivery failed, will retry');
    else this.logger.info(log, 'delivered');
    try {
      await this.publisher.deliveryRecorded(
        {
          study: job.study,
          deliveryId: job.deliveryId,
          channel: job.channel,
          target: target.slice(0, 256),
          messageType: job.messageType,
          attempt: rec.attempt,
          outcome,
          detail: rec.detail.slice(0, 1024),
          at: new Date().toISOString(),
        },
        job.traceId,
        derivedEventId(job.id, `${EVENTS.deliveryRecorded.type}#${rec.attempt}`),
      );
    } catch (err) {
      this.logger.warn({ deliveryId: job.deliveryId, reason: err instanceof Error ? err.message : String(err) }, 'delivery.recorded not published');
    }
  }
}
