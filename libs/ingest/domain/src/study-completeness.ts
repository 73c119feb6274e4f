import type { StudyReceived, StudyUpdated } from '@triage/contracts';
import { instanceCount, toStudyReceivedPayload, type StudyRecord } from './study-record';

/** What a pending study's next event is: the first hand-over, or an update of a study already handed on. */
export type PendingStudyEvent = { kind: 'received' } | { kind: 'updated'; revision: number; addedInstanceCount: number };

/** Decides the event a pending study gets: study.received once, study.updated (revision + 1) after that. */
export function pendingStudyEvent(record: StudyRecord): PendingStudyEvent {
  if (record.publishedInstanceCount === undefined) return { kind: 'received' };
  return {
    kind: 'updated',
    revision: (record.revision ?? 0) + 1,
    addedInstanceCount: Math.max(0, instanceCount(record) - record.publishedInstanceCount),
  };
}

/** When a study delivered instance by instance is stable: its last change plus the source's quiet period. */
export function settlesAt(record: StudyRecord, quietPeriodMs: number): number {
  return Date.parse(record.updatedAt) + quietPeriodMs;
}

/** The study.updated v1 payload: the study as it stands, what changed, and the revision. */
export function toStudyUpdatedPayload(
  record: StudyRecord,
  update: { revision: number; addedInstanceCount: number },
  opts: { peer?: string; retrieveUrl: string },
): StudyUpdated {
  const base: StudyReceived = toStudyReceivedPayload(record, opts);
  return { ...base, changes: ['instances-added'], revision: update.revision, addedInstanceCount: update.addedInstanceCount };
}
