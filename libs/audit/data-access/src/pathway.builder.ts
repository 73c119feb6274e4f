import { EVENTS } from '@triage/contracts';
import type { AlertStep, Assignment, AuditEvent, Delivery, Read, ReadVerdict, StudyUpdate } from './generated/prisma/client';
import type { AuditEventWithStages } from './lineage.builder';
import { PATHWAY_MILESTONES, type CarePathway, type PathwayMilestone, type PathwayMilestoneName, type TimelineEntry } from './lineage.types';

/** An audit event with every stage row written with it, as the lineage query loads it. */
export type AuditEventWithAllStages = AuditEventWithStages & {
  studyUpdate: StudyUpdate | null;
  assignment: Assignment | null;
  alertStep: AlertStep | null;
  read: (Read & { verdicts: ReadVerdict[] }) | null;
  delivery: Delivery | null;
};

const WORKLIST_ACTIONS = new Set(['assigned', 'claimed', 'reassigned']);

/** Which milestone an event reaches, if any. A silent assignment leaves the worklist untouched: not a milestone. */
function milestoneOf(e: AuditEventWithAllStages): PathwayMilestoneName | undefined {
  switch (e.type) {
    case EVENTS.studyReceived.type:
      return 'received';
    case EVENTS.inferenceCompleted.type:
      return 'inference';
    case EVENTS.priorityDecided.type:
      return 'priority';
    case EVENTS.assignmentChanged.type:
      return e.assignment && !e.assignment.silent && WORKLIST_ACTIONS.has(e.assignment.action) ? 'assigned' : undefined;
    case EVENTS.readSigned.type:
      return 'read-signed';
    case EVENTS.reportIssued.type:
      return e.report && e.report.status !== 'preliminary' ? 'final-report' : undefined;
    default:
      return undefined;
  }
}

/** The care pathway of a trace: the first event reaching each milestone, and the time between them. */
export function buildPathway(ordered: AuditEventWithAllStages[]): CarePathway {
  const first = new Map<PathwayMilestoneName, AuditEvent>();
  for (const e of ordered) {
    const m = milestoneOf(e);
    if (m && !first.has(m)) first.set(m, e);
  }
  const arrival = first.get('received')?.occurredAt.getTime();
  const milestones: PathwayMilestone[] = [];
  let previous: number | undefined;
  for (const milestone of PATHWAY_MILESTONES) {
    const e = first.get(milestone);
    if (!e) continue;
    const t = e.occurredAt.getTime();
    milestones.push({
      milestone,
      at: e.occurredAt.toISOString(),
      eventId: e.eventId,
      type: e.type,
      sincePreviousMs: previous === undefined ? null : t - previous,
      sinceArrivalMs: arrival === undefined ? null : t - arrival,
    });
    previous = t;
  }
  const missing = PATHWAY_MILESTONES.filter((m) => !first.has(m));
  const final = first.get('final-report');
  return {
    complete: missing.length === 0,
    milestones,
    missing,
    totalMs: arrival !== undefined && final ? final.occurredAt.getTime() - arrival : null,
  };
}

/** What the timeline shows of an event: identifiers of staff and resources, codes, counts and states; never PHI. */
function detailOf(e: AuditEventWithAllStages): Record<string, unknown> {
  if (e.studyUpdate) {
    const u = e.studyUpdate;
    return { revision: u.revision, changes: u.changes, addedInstanceCount: u.addedInstanceCount, instanceCount: u.instanceCount };
  }
  if (e.inferenceRuns.length) {
    return {
      runs: [...e.inferenceRuns]
        .sort((a, b) => a.runIndex - b.runIndex)
        .map((r) => ({ modelId: r.modelId, modelVersion: r.modelVersion, mode: r.mode, status: r.status, positive: r.findings.filter((f) => f.positive).map((f) => f.label) })),
    };
  }
  if (e.priorityDecision) return { priority: e.priorityDecision.priority, ruleSetVersion: e.priorityDecision.ruleSetVersion };
  if (e.assignment) {
    const a = e.assignment;
    return { action: a.action, pool: a.pool, readerId: a.readerId, priority: a.priority, silent: a.silent };
  }
  if (e.alertStep) {
    const a = e.alertStep;
    return { alertId: a.alertId, action: a.action, tier: a.tier, step: a.step, recipientId: a.recipientId, channels: a.channels, acknowledgedById: a.acknowledgedById };
  }
  if (e.read) {
    const r = e.read;
    const confirmed = r.verdicts.filter((v) => v.verdict === 'confirmed').length;
    return { readId: r.readId, status: r.status, readerId: r.readerId, verdicts: { confirmed, rejected: r.verdicts.length - confirmed } };
  }
  if (e.report) return { reportId: e.report.reportId, status: e.report.status, versionId: e.report.versionId, priority: e.report.priority };
  if (e.delivery) {
    const d = e.delivery;
    return { deliveryId: d.deliveryId, channel: d.channel, target: d.target, messageType: d.messageType, attempt: d.attempt, outcome: d.outcome };
  }
  return {};
}

/** Every event of the trace, in time order, summarised. */
export function buildTimeline(ordered: AuditEventWithAllStages[]): TimelineEntry[] {
  return ordered.map((e) => ({ type: e.type, at: e.occurredAt.toISOString(), eventId: e.eventId, source: e.source, detail: detailOf(e) }));
}
