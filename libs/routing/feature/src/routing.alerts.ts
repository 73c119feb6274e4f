import { Inject, Injectable } from '@nestjs/common';
import { derivedEventId, type AlertChanged, type InferenceRun, type StudyRef } from '@triage/contracts';
import { ROOT_LOGGER } from '@triage/nest-platform';
import type { Logger } from '@triage/observability';
import {
  acknowledge,
  nextEscalation,
  openAlert,
  planEscalation,
  type Assignment,
  type EscalationRole,
  type JournalRecord,
  type OpenAlert,
  type PriorityDecision,
} from '@triage/routing-domain';
import { eventRecord, readerRef, webhookRecords, webhookStudy } from './routing.effects';
import { RoutingException, RoutingErrorCode } from './routing.exception';
import { RoutingOutbox } from './routing.outbox';
import { RoutingStore } from './routing.store';
import { ROUTING_CLOCK, ROUTING_OPTIONS, type Clock, type RoutingOptions } from './routing.options';

const ROLE: Record<EscalationRole, NonNullable<AlertChanged['role']>> = {
  assigned: 'assigned-reader',
  'next-qualified': 'next-qualified-reader',
  supervisor: 'supervisor',
};

export interface RaiseInput {
  study: StudyRef;
  runs: InferenceRun[];
  decision: PriorityDecision;
  assignment: Assignment;
  traceId: string;
  inputEventId: string;
}

/**
 * Tiered alerts for Critical decisions: raised at once (`alert.changed` raised, which reporting turns into
 * the HL7 ADT alert, plus the pager/SMS webhook), then escalated along the chain (assigned reader, next
 * qualified reader, supervisor) each time an acknowledgement deadline passes, until acknowledged through
 * the API. Past the supervisor's deadline the supervisor is paged again (`exhausted`) rather than going silent.
 */
@Injectable()
export class RoutingAlerts {
  private readonly logger: Logger;

  constructor(
    private readonly store: RoutingStore,
    private readonly outbox: RoutingOutbox,
    @Inject(ROUTING_OPTIONS) private readonly options: RoutingOptions,
    @Inject(ROUTING_CLOCK) private readonly clock: Clock,
    @Inject(ROOT_LOGGER) root: Logger,
  ) {
    this.logger = root.child({ component: 'routing-alerts' });
  }

  /** The channels an alert step is announced on: the HL7 ADT alert and the worklist always, pager and webhook when configured. */
  private channels(): AlertChanged['channels'] {
    const w = this.options.webhooks;
    return ['hl7-adt', 'worklist', ...(w.pagerUrl ? (['pager'] as const) : []), ...(w.priorityUrls.length > 0 ? (['webhook'] as const) : [])];
  }

  /** Records that open an alert for a Critical decision and notify its first step; none when the study already has one. */
  raise(input: RaiseInput, now: Date): JournalRecord[] {
    const uid = input.study.studyInstanceUid;
    if ([...this.store.state.alerts.values()].some((a) => a.studyInstanceUid === uid)) return [];
    const { readers, jurisdictions, escalation } = this.options;
    const steps = planEscalation(input.study, input.decision, input.assignment, readers, this.store.state.holds(), now, escalation, { jurisdictions });
    const findings = input.runs
      .filter((r) => r.mode === 'active' && r.status === 'succeeded')
      .flatMap((r) => r.findings.filter((f) => f.positive && f.critical));
    const alert: OpenAlert = {
      ...openAlert(uid, steps),
      alertId: derivedEventId(input.inputEventId, 'alert'),
      traceId: input.traceId,
      findings,
      raisedAt: now.toISOString(),
      repeats: 0,
    };
    this.logger.info({ alertId: alert.alertId, steps: steps.map((s) => s.role) }, 'critical alert raised');
    return [{ t: 'alert-opened', alert }, ...this.step(alert, input.study, input.decision, now, 'raised')];
  }

  /** Records for every open alert whose deadline has passed. Call inside `exclusive()`. */
  escalateDue(now: Date): JournalRecord[] {
    const out: JournalRecord[] = [];
    for (const alert of this.store.state.alerts.values()) {
      if (alert.acknowledged || alert.steps.length === 0) continue;
      const s = this.store.state.studies.get(alert.studyInstanceUid);
      if (!s) continue;
      const action = nextEscalation(alert, now);
      if (action.action !== 'notify') continue;
      const repeat = action.step < alert.notifiedAt.length;
      const records = this.step(alert, s.study, s.decision, now, repeat ? 'exhausted' : 'escalated');
      out.push(...records);
      this.logger.warn({ alertId: alert.alertId, step: action.step, role: action.role, repeat }, 'alert not acknowledged in time: escalated');
    }
    return out;
  }

  /** Acknowledges an alert for a reader who was notified; an alert already acknowledged is answered as it is. */
  async acknowledge(alertId: string, readerId: string): Promise<OpenAlert> {
    const alert = await this.store.exclusive(async () => {
      const alert = this.store.state.alerts.get(alertId);
      if (!alert) throw new RoutingException(RoutingErrorCode.AlertNotFound, `no alert ${alertId}`);
      if (alert.acknowledged) return alert;
      const now = this.clock();
      try {
        acknowledge(alert, readerId, now);
      } catch {
        throw new RoutingException(RoutingErrorCode.NotInChain, `reader ${readerId} has not been notified for alert ${alertId}`);
      }
      await this.store.commit(this.acknowledgedRecords(alert, readerId, now, 'Acknowledged through the worklist API'));
      return alert;
    });
    // Durable already; a bus that refuses now gets the event on the next tick.
    await this.outbox.flush().catch((err: unknown) => this.logger.warn({ reason: err instanceof Error ? err.message : String(err) }, 'outbox not flushed; retrying next tick'));
    return alert;
  }

  /** Records that close a study's open alert because a reader signed its read (the strongest acknowledgement). */
  acknowledgeBySigning(uid: string, readerId: string, now: Date): JournalRecord[] {
    const alert = this.store.state.openAlertOf(uid);
    return alert ? this.acknowledgedRecords(alert, readerId, now, 'Acknowledged by signing the read') : [];
  }

  private acknowledgedRecords(alert: OpenAlert, readerId: string, now: Date, why: string): JournalRecord[] {
    const s = this.store.state.studies.get(alert.studyInstanceUid);
    if (!s) return [];
    const at = now.toISOString();
    const step = Math.max(0, alert.steps.findIndex((x) => x.readerId === readerId));
    const eventId = derivedEventId(alert.alertId, 'alert.changed:acknowledged');
    const payload: AlertChanged = {
      study: s.study,
      alertId: alert.alertId,
      action: 'acknowledged',
      tier: 'critical',
      step,
      channels: this.channels(),
      findings: alert.findings,
      reasons: [{ ruleId: 'alert-acknowledged', text: why }],
      acknowledgedBy: readerRef(this.options.readers, readerId),
      at,
    };
    this.logger.info({ alertId: alert.alertId, readerId }, 'alert acknowledged');
    return [
      { t: 'alert-acknowledged', alertId: alert.alertId, readerId, at },
      eventRecord('alertChanged', eventId, s.study, alert.traceId, payload),
      ...this.pager(eventId, s.study, payload),
    ];
  }

  private step(alert: OpenAlert, study: StudyRef, decision: PriorityDecision, now: Date, action: AlertChanged['action']): JournalRecord[] {
    const next = nextEscalation(alert, now);
    const at = now.toISOString();
    const base = { study, alertId: alert.alertId, tier: 'critical' as const, channels: this.channels(), findings: alert.findings, reasons: decision.reasons, at };
    if (next.action !== 'notify') {
      // Nobody to notify: the ADT alert and the worklist still carry it; say at once that the chain is empty.
      const raised = derivedEventId(alert.alertId, 'alert.changed:raised:0');
      const exhausted = derivedEventId(alert.alertId, 'alert.changed:exhausted:empty');
      const reasons = [...decision.reasons, { ruleId: 'alert-no-recipient', text: 'No reader or supervisor is in the escalation chain for this study' }];
      return [
        eventRecord('alertChanged', raised, study, alert.traceId, { ...base, action: 'raised', step: 0, reasons } satisfies AlertChanged),
        eventRecord('alertChanged', exhausted, study, alert.traceId, { ...base, action: 'exhausted', step: 0, reasons } satisfies AlertChanged),
      ];
    }
    const repeat = next.step < alert.notifiedAt.length;
    const eventId = derivedEventId(alert.alertId, `alert.changed:${action}:${next.step}:${repeat ? alert.repeats + 1 : 0}`);
    const payload: AlertChanged = {
      ...base,
      action,
      step: next.step,
      recipient: readerRef(this.options.readers, next.readerId),
      role: ROLE[next.role],
      ackDeadline: next.ackBy,
    };
    return [
      { t: 'alert-notified', alertId: alert.alertId, step: next.step, at, repeat },
      eventRecord('alertChanged', eventId, study, alert.traceId, payload),
      ...this.pager(eventId, study, payload),
    ];
  }

  /** The pager/SMS gateway webhook: who to page and why, by reader id and finding code; no patient data. */
  private pager(eventId: string, study: StudyRef, p: AlertChanged): JournalRecord[] {
    const url = this.options.webhooks.pagerUrl;
    if (!url) return [];
    return webhookRecords('pager', [url], 'alert.changed', eventId, {
      alertId: p.alertId,
      action: p.action,
      tier: p.tier,
      step: p.step,
      recipient: p.recipient?.id ?? null,
      role: p.role ?? null,
      acknowledgedBy: p.acknowledgedBy?.id ?? null,
      ackDeadline: p.ackDeadline ?? null,
      study: webhookStudy(study, this.options.webhooks),
      findings: p.findings.map((f) => ({ label: f.label, code: f.code, probability: f.probability })),
      at: p.at,
    });
  }
}
