import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { matchesSearchRequest, parseSearchRequest } from '@medplum/core';
import type { Bundle, DiagnosticReport, Parameters, Subscription } from '@medplum/fhirtypes';
import type { StudyRef } from '@triage/contracts';
import type { Logger } from '@triage/observability';
import { assertValidResource, FhirValidationError } from '@triage/reporting-domain';
import { readJsonFile, writeJsonAtomic } from '../delivery/durable-file';
import type { WebhookRequest } from '../delivery/webhook.sender';
import type { FhirAnswer } from './own-fhir-endpoint';

const BACKPORT = 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition';
/** The one topic the mesh offers: a DiagnosticReport it emitted was created or changed (preliminary → final → amended). */
export const REPORT_TOPIC = 'https://triage-mesh.invalid/SubscriptionTopic/diagnostic-report-changed';

interface StoredSubscription {
  resource: Subscription;
  events: number;
}

const problem = (status: number, text: string): FhirAnswer => ({
  status,
  body: { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'invalid', details: { text } }] },
});

/**
 * R4 Subscriptions in the backport style (rest-hook): a subscriber POSTs a Subscription on REPORT_TOPIC,
 * optionally with a backport-filter-criteria such as `DiagnosticReport?status=final`; every new or
 * changed report is POSTed to its endpoint as a history Bundle whose first entry is the SubscriptionStatus
 * Parameters. Kept under DATA_DIR; notifications go through the durable outbox (webhook channel).
 */
export class ReportSubscriptions {
  private readonly subs = new Map<string, StoredSubscription>();
  private readonly file: string;

  constructor(
    dataDir: string,
    private readonly logger: Logger,
    private readonly baseUrl: () => string,
    /** Queues a notification durably (the outbox's webhook channel); false when already queued. */
    private readonly enqueue: (n: { id: string; url: string; request: WebhookRequest; study: StudyRef; traceId: string }) => Promise<boolean>,
    /** Origins channel endpoints may point at; empty = any. */
    private readonly allowedOrigins: string[] = [],
  ) {
    this.file = join(dataDir, 'subscriptions.json');
  }

  async open(): Promise<void> {
    for (const s of (await readJsonFile<StoredSubscription[]>(this.file)) ?? []) this.subs.set(s.resource.id as string, s);
  }

  read(id: string): FhirAnswer {
    const s = this.subs.get(id);
    return s ? { status: 200, body: s.resource } : problem(404, `Subscription/${id} not found`);
  }

  async delete(id: string): Promise<FhirAnswer> {
    if (!this.subs.delete(id)) return problem(404, `Subscription/${id} not found`);
    await this.save();
    return { status: 200, body: { resourceType: 'OperationOutcome', issue: [{ severity: 'information', code: 'informational', details: { text: 'deleted' } }] } };
  }

  async create(body: unknown): Promise<FhirAnswer> {
    const sub = body as Subscription;
    if (!sub || typeof sub !== 'object' || sub.resourceType !== 'Subscription') return problem(400, 'body must be a FHIR Subscription resource');
    try {
      assertValidResource(sub);
    } catch (err) {
      if (err instanceof FhirValidationError) return { status: 400, body: err.outcome };
      throw err;
    }
    if (sub.criteria !== REPORT_TOPIC) return problem(422, `criteria must be the topic ${REPORT_TOPIC}`);
    if (sub.channel.type !== 'rest-hook') return problem(422, 'only rest-hook channels are supported');
    let endpoint: URL;
    try {
      endpoint = new URL(sub.channel.endpoint ?? '');
    } catch {
      return problem(422, 'channel.endpoint must be an absolute http(s) URL');
    }
    if (!['http:', 'https:'].includes(endpoint.protocol)) return problem(422, 'channel.endpoint must be an absolute http(s) URL');
    if (this.allowedOrigins.length && !this.allowedOrigins.includes(endpoint.origin)) return problem(422, 'channel.endpoint is not an allowed destination');
    const filter = this.filterOf(sub);
    if (filter !== undefined) {
      try {
        const req = parseSearchRequest(filter);
        if (req.resourceType !== 'DiagnosticReport') return problem(422, 'filter criteria must search DiagnosticReport');
      } catch {
        return problem(422, 'filter criteria is not a FHIR search');
      }
    }
    const resource: Subscription = { ...sub, id: randomUUID(), status: 'active' };
    this.subs.set(resource.id as string, { resource, events: 0 });
    await this.save();
    return { status: 201, body: resource };
  }

  /**
   * Queues a notification for every active subscription whose filter matches the report. `eventId` is the
   * handled event's id: a redelivered event queues nothing new.
   */
  async notify(report: DiagnosticReport, event: { eventId: string; traceId: string }, study: StudyRef): Promise<void> {
    const due = [...this.subs.values()].filter((s) => s.resource.status === 'active' && this.matches(s.resource, report));
    for (const s of due) {
      s.events += 1;
      const headers: Record<string, string> = { 'content-type': 'application/fhir+json' };
      for (const h of s.resource.channel.header ?? []) {
        const i = h.indexOf(':');
        if (i > 0) headers[h.slice(0, i).trim()] = h.slice(i + 1).trim();
      }
      const url = s.resource.channel.endpoint as string;
      const queued = await this.enqueue({
        id: `webhook-${s.resource.id}-${event.eventId}`,
        url,
        study,
        traceId: event.traceId,
        request: { url, headers, body: JSON.stringify(this.notification(s, report)) },
      });
      if (!queued) s.events -= 1;
      else this.logger.debug({ subscription: s.resource.id, event: s.events }, 'subscription notification queued');
    }
    if (due.length) await this.save();
  }

  private filterOf(sub: Subscription): string | undefined {
    return (sub as Subscription & { _criteria?: { extension?: Array<{ url: string; valueString?: string }> } })._criteria?.extension?.find(
      (e) => e.url === `${BACKPORT}/backport-filter-criteria`,
    )?.valueString;
  }

  private matches(sub: Subscription, report: DiagnosticReport): boolean {
    const filter = this.filterOf(sub);
    return filter === undefined || matchesSearchRequest(report, parseSearchRequest(filter));
  }

  private content(sub: Subscription): 'empty' | 'id-only' | 'full-resource' {
    const ext = (sub.channel as { _payload?: { extension?: Array<{ url: string; valueCode?: string }> } })._payload?.extension?.find(
      (e) => e.url === `${BACKPORT}/backport-payload-content`,
    )?.valueCode;
    return ext === 'empty' || ext === 'full-resource' ? ext : 'id-only';
  }

  /** The notification Bundle (history) with the SubscriptionStatus Parameters first. */
  notification(s: StoredSubscription, report: DiagnosticReport): Bundle {
    const base = this.baseUrl();
    const content = this.content(s.resource);
    const focus = `${base}/DiagnosticReport/${report.id}`;
    const status: Parameters = {
      resourceType: 'Parameters',
      meta: { profile: [`${BACKPORT}/backport-subscription-status-r4`] },
      parameter: [
        { name: 'subscription', valueReference: { reference: `${base}/Subscription/${s.resource.id}` } },
        { name: 'topic', valueCanonical: REPORT_TOPIC },
        { name: 'status', valueCode: 'active' },
        { name: 'type', valueCode: 'event-notification' },
        { name: 'events-since-subscription-start', valueString: String(s.events) },
        {
          name: 'notification-event',
          part: [
            { name: 'event-number', valueString: String(s.events) },
            { name: 'timestamp', valueInstant: new Date().toISOString() },
            ...(content === 'empty' ? [] : [{ name: 'focus', valueReference: { reference: focus } }]),
          ],
        },
      ],
    };
    const bundle: Bundle = {
      resourceType: 'Bundle',
      type: 'history',
      timestamp: new Date().toISOString(),
      entry: [
        { fullUrl: `urn:uuid:${randomUUID()}`, resource: status, request: { method: 'GET', url: `Subscription/${s.resource.id}/$status` }, response: { status: '200' } },
        ...(content === 'full-resource'
          ? [{ fullUrl: focus, resource: report, request: { method: 'PUT' as const, url: `DiagnosticReport/${report.id}` }, response: { status: '200' } }]
          : []),
      ],
    };
    assertValidResource(bundle);
    return bundle;
  }

  private save(): Promise<void> {
    return writeJsonAtomic(this.file, [...this.subs.values()]);
  }
}
