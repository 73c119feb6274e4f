import type { Coding, Priority } from '@triage/contracts';

/** The stages of the thin flow, in pipeline order. */
export const LINEAGE_STAGES = ['received', 'inference', 'priority', 'report'] as const;
export type LineageStageName = (typeof LINEAGE_STAGES)[number];

export interface ReceivedSummary {
  modalities: string[];
  instanceCount: number;
  originProtocol: string;
  /** When the mesh accepted the first instance of the study. */
  firstInstanceAt: string;
}

export interface InferenceSummary {
  models: Array<{ modelId: string; modelVersion: string; mode: string; status: string; latencyMs: number }>;
  positiveFindings: Array<{ modelId: string; label: string; code: Coding; probability: number; threshold: number; critical: boolean }>;
}

export interface PrioritySummary {
  priority: Priority;
  score: number;
  reasons: Array<{ ruleId: string; text: string }>;
  ruleSetVersion: string;
}

export interface ReportSummary {
  reportId: string;
  status: string;
  priority: string;
  /** The FHIR R4 DiagnosticReport exactly as it was emitted (contains the patient reference). */
  diagnosticReport: Record<string, unknown>;
}

interface StageBase<N extends LineageStageName, S> {
  stage: N;
  /** When the stage's event occurred (envelope occurredAt), ISO 8601. */
  at: string;
  eventId: string;
  source: string;
  /** ms since the previous stage present in the timeline; null for the first. */
  sincePreviousMs: number | null;
  /** ms since the received stage; null when the study.received event is not (yet) recorded. */
  sinceArrivalMs: number | null;
  /** More events of the same stage in this trace (redecisions, amendments); the timeline shows the first. */
  repeats: number;
  /** null when the stage rows could not be found (should not happen: they are written with the event). */
  summary: S | null;
}

export type LineageStage =
  | StageBase<'received', ReceivedSummary>
  | StageBase<'inference', InferenceSummary>
  | StageBase<'priority', PrioritySummary>
  | StageBase<'report', ReportSummary>;

/** The audited timeline of one study under one trace. */
export interface Lineage {
  traceId: string;
  studyInstanceUid: string;
  /** All four stages are present. */
  complete: boolean;
  stages: LineageStage[];
  missing: LineageStageName[];
  /** Earlier or later traces of the same study (a re-sent study starts a new trace). */
  otherTraceIds: string[];
  /** The care pathway from arrival to final report, with the time spent in each stage. */
  pathway: CarePathway;
  /** Every recorded event of the trace in time order (updates, assignments, alerts, deliveries included). */
  timeline: TimelineEntry[];
}

/** The milestones of a study from arrival to the final report, in pathway order. */
export const PATHWAY_MILESTONES = ['received', 'inference', 'priority', 'assigned', 'read-signed', 'final-report'] as const;
export type PathwayMilestoneName = (typeof PATHWAY_MILESTONES)[number];

export interface PathwayMilestone {
  milestone: PathwayMilestoneName;
  at: string;
  eventId: string;
  type: string;
  /** Time spent in the stage that this milestone ends: ms since the previous milestone present; null for the first. */
  sincePreviousMs: number | null;
  sinceArrivalMs: number | null;
}

export interface CarePathway {
  /** Every milestone up to the final report is present. */
  complete: boolean;
  milestones: PathwayMilestone[];
  missing: PathwayMilestoneName[];
  /** Arrival to final report, when both are recorded. */
  totalMs: number | null;
}

/** One audited event, summarised without PHI (ids, codes, counts and states only). */
export interface TimelineEntry {
  type: string;
  at: string;
  eventId: string;
  source: string;
  detail: Record<string, unknown>;
}

export type LineageQuery = { traceId: string } | { studyInstanceUid: string } | { accessionNumber: string };

export interface RecordResult {
  duplicate: boolean;
}
