import { derivedEventId, type AssignmentChanged, type ReaderRef, type StudyRef } from '@triage/contracts';
import { channelsFor, type JournalRecord, type OutboxItem, type PriorityDecision, type Reader } from '@triage/routing-domain';
import type { WebhookOptions } from './routing.options';

type EventName = Extract<OutboxItem, { kind: 'event' }>['event'];

/** A journal record that puts one event in the outbox; the event id doubles as the outbox id. */
export function eventRecord(event: EventName, eventId: string, study: StudyRef, traceId: string, payload: unknown): JournalRecord {
  return { t: 'outbox', item: { id: eventId, kind: 'event', event, eventId, subject: study.studyInstanceUid, traceId, payload } };
}

/** Journal records that put one signed webhook per URL in the outbox; ids derive from `basisId`, so a redelivered input queues the same deliveries. */
export function webhookRecords(target: string, urls: readonly string[], eventType: string, basisId: string, body: Record<string, unknown>): JournalRecord[] {
  return urls.map((url, i) => {
    const id = derivedEventId(basisId, `webhook:${target}:${i}`);
    return { t: 'outbox', item: { id, kind: 'webhook', target, url, eventType, body: JSON.stringify({ id, type: eventType, ...body }) } };
  });
}

/** Study fields a webhook may carry: UIDs, site and modality, and the accession number only when configured. No patient data. */
export function webhookStudy(study: StudyRef, options: WebhookOptions): Record<string, unknown> {
  return {
    studyInstanceUid: study.studyInstanceUid,
    ...(options.includeAccession && study.accessionNumber ? { accessionNumber: study.accessionNumber } : {}),
    site: study.context.site ?? null,
    modalities: study.modalities,
    bodyPart: study.bodyPart ?? null,
  };
}

/**
 * Whether a priority change is announced to external platforms: when the new priority is announced on the
 * webhook channel (Critical, Urgent), or the old one was (so a platform that was told hears of the demotion).
 */
export function announcesPriorityChange(before: PriorityDecision['priority'] | undefined, after: PriorityDecision['priority']): boolean {
  if (before === after) return false;
  return channelsFor(after).includes('webhook') || (before !== undefined && channelsFor(before).includes('webhook'));
}

/** The priority-change webhook records for a decision. */
export function priorityWebhooks(options: WebhookOptions, basisId: string, study: StudyRef, before: PriorityDecision['priority'] | undefined, decision: PriorityDecision, at: string): JournalRecord[] {
  if (!announcesPriorityChange(before, decision.priority)) return [];
  return webhookRecords('priority', options.priorityUrls, 'priority.changed', basisId, {
    study: webhookStudy(study, options),
    priority: decision.priority,
    previousPriority: before ?? null,
    score: decision.score,
    ruleSetVersion: decision.ruleSetVersion,
    reasons: decision.reasons,
    at,
  });
}

export function readerRef(readers: readonly Reader[], id: string): ReaderRef {
  const r = readers.find((x) => x.id === id);
  return r ? { id: r.id, display: r.name } : { id };
}

/** An assignment.changed payload. */
export function assignmentPayload(
  study: StudyRef,
  action: AssignmentChanged['action'],
  priority: AssignmentChanged['priority'],
  reader: ReaderRef | undefined,
  pool: string,
  reasons: AssignmentChanged['reasons'],
  silent: boolean,
  at: string,
): AssignmentChanged {
  return { study, action, reader, pool, priority, reasons, silent, at };
}
