import { InferenceRunSchema, StudyRefSchema } from '@triage/contracts';
import type { RecordedStudy, RoutingState } from '@triage/routing-domain';
import { z } from 'zod';

const Recorded = z.object({ study: StudyRefSchema, runs: z.array(InferenceRunSchema), decidedAt: z.iso.datetime({ offset: true }) });
// A priority.decided envelope as read from its topic: the payload is a recorded study.
const Envelope = z.object({ type: z.literal('priority.decided'), payload: Recorded });
const Entry = z.union([Envelope.transform((e) => e.payload), Recorded]);

/**
 * Recorded studies from a document: an array of `{ study, runs, decidedAt }`, of priority.decided payloads
 * (the same fields), or of priority.decided envelopes exported from the topic. Throws naming the entry.
 */
export function parseRecordedStudies(doc: unknown): RecordedStudy[] {
  const parsed = z.array(Entry).max(100_000).safeParse(doc);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 10).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(`invalid recorded studies: ${issues.join('; ')}`);
  }
  return parsed.data;
}

/** The studies routing holds now, as recorded studies (decided at their last decision). */
export function recordedFromState(state: RoutingState): RecordedStudy[] {
  return [...state.studies.values()].map((s) => ({ study: s.study, runs: s.runs, decidedAt: s.decidedAt }));
}
