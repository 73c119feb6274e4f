import { EVENTS, type Coding, type Priority } from '@triage/contracts';
import type { AuditEvent, Finding, InferenceRun, PriorityDecision, Report, Study } from './generated/prisma/client';
import { buildPathway, buildTimeline, type AuditEventWithAllStages } from './pathway.builder';
import {
  LINEAGE_STAGES,
  type InferenceSummary,
  type Lineage,
  type LineageStage,
  type LineageStageName,
  type PrioritySummary,
  type ReceivedSummary,
  type ReportSummary,
} from './lineage.types';

/** An audit event with the stage rows written with it. */
export type AuditEventWithStages = AuditEvent & {
  inferenceRuns: Array<InferenceRun & { findings: Finding[] }>;
  priorityDecision: PriorityDecision | null;
  report: Report | null;
};

const STAGE_OF_TYPE: Record<string, LineageStageName> = {
  [EVENTS.studyReceived.type]: 'received',
  [EVENTS.inferenceCompleted.type]: 'inference',
  [EVENTS.priorityDecided.type]: 'priority',
  [EVENTS.reportIssued.type]: 'report',
};

/** The lineage stage an event type stands for, if any. */
export function stageOfEventType(type: string): LineageStageName | undefined {
  return STAGE_OF_TYPE[type];
}

function receivedSummary(study: Study | null): ReceivedSummary | null {
  if (!study) return null;
  return {
    modalities: study.modalities,
    instanceCount: study.instanceCount,
    originProtocol: study.originProtocol,
    firstInstanceAt: study.receivedAt.toISOString(),
  };
}

function inferenceSummary(e: AuditEventWithStages): InferenceSummary {
  const runs = [...e.inferenceRuns].sort((a, b) => a.runIndex - b.runIndex);
  return {
    models: runs.map((r) => ({ modelId: r.modelId, modelVersion: r.modelVersion, mode: r.mode, status: r.status, latencyMs: r.latencyMs })),
    positiveFindings: runs.flatMap((r) =>
      [...r.findings]
        .sort((a, b) => (a.id < b.id ? -1 : 1))
        .filter((f) => f.positive)
        .map((f) => {
          const code: Coding = { system: f.codeSystem, code: f.code, ...(f.codeDisplay ? { display: f.codeDisplay } : {}) };
          return { modelId: r.modelId, label: f.label, code, probability: f.probability, threshold: f.threshold, critical: f.critical };
        }),
    ),
  };
}

function prioritySummary(p: PriorityDecision | null): PrioritySummary | null {
  if (!p) return null;
  return {
    priority: p.priority as Priority,
    score: p.score,
    reasons: p.reasons as PrioritySummary['reasons'],
    ruleSetVersion: p.ruleSetVersion,
  };
}

function reportSummary(r: Report | null): ReportSummary | null {
  return r
    ? { reportId: r.reportId, status: r.status, priority: r.priority, diagnosticReport: r.resource as Record<string, unknown> }
    : null;
}

/**
 * Builds the ordered timeline of one trace from its audit events (any order). Each stage shows the first
 * event that reached it; elapsed times come from the events' occurredAt, so they are the mesh's own clock
 * readings and may be negative only if producers' clocks disagree.
 */
export function buildLineage(traceId: string, events: AuditEventWithAllStages[], study: Study | null, otherTraceIds: string[]): Lineage {
  const byStage = new Map<LineageStageName, AuditEventWithStages[]>();
  const ordered = [...events].sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime() || (a.id < b.id ? -1 : 1));
  for (const e of ordered) {
    const stage = stageOfEventType(e.type);
    if (!stage) continue;
    byStage.set(stage, [...(byStage.get(stage) ?? []), e]);
  }
  const arrival = byStage.get('received')?.[0]?.occurredAt.getTime();
  const stages: LineageStage[] = [];
  let previous: number | undefined;
  for (const name of LINEAGE_STAGES) {
    const list = byStage.get(name);
    if (!list?.length) continue;
    const first = list[0];
    const t = first.occurredAt.getTime();
    const base = {
      at: first.occurredAt.toISOString(),
      eventId: first.eventId,
      source: first.source,
      sincePreviousMs: previous === undefined ? null : t - previous,
      sinceArrivalMs: arrival === undefined ? null : t - arrival,
      repeats: list.length - 1,
    };
    previous = t;
    switch (name) {
      case 'received':
        stages.push({ stage: name, ...base, summary: receivedSummary(study) });
        break;
      case 'inference':
        stages.push({ stage: name, ...base, summary: inferenceSummary(first) });
        break;
      case 'priority':
        stages.push({ stage: name, ...base, summary: prioritySummary(first.priorityDecision) });
        break;
      case 'report':
        stages.push({ stage: name, ...base, summary: reportSummary(first.report) });
        break;
    }
  }
  const missing = LINEAGE_STAGES.filter((s) => !byStage.has(s));
  return {
    traceId,
    studyInstanceUid: ordered[0]?.subject ?? study?.studyInstanceUid ?? '',
    complete: missing.length === 0,
    stages,
    missing,
    otherTraceIds,
    pathway: buildPathway(ordered),
    timeline: buildTimeline(ordered),
  };
}
