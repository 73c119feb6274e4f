import { studyDemographics } from '@triage/audit-domain';
import {
  EVENTS,
  type AlertChanged,
  type AssignmentChanged,
  type DeliveryRecorded,
  type Envelope,
  type InferenceCompleted,
  type PriorityDecided,
  type ReadSigned,
  type ReportIssued,
  type StudyReceived,
  type StudyUpdated,
} from '@triage/contracts';
import type { Prisma } from './generated/prisma/client';

type Tx = Prisma.TransactionClient;

/** The row id created for a key; a missing one means the insert returned fewer rows than it was given. */
function idFor(ids: Map<string, bigint>, key: string): bigint {
  const id = ids.get(key);
  if (id === undefined) throw new Error(`stage row for ${key} was not returned by its insert`);
  return id;
}
type Json = Prisma.InputJsonValue;

/**
 * Writes the stage rows of a batch of freshly recorded events of one type. Every writer is a bulk
 * insert (one statement per table), except study rows, whose "newest event wins" rule is per study.
 */
type StageWriter = (tx: Tx, envs: Envelope[]) => Promise<void>;

const reasonsJson = (reasons: Array<{ ruleId: string; text: string }>): Json => reasons.map((r) => ({ ruleId: r.ruleId, text: r.text }));

async function writeStudies(tx: Tx, envs: Array<Envelope<StudyReceived | StudyUpdated>>): Promise<void> {
  for (const env of [...envs].sort((a, b) => a.occurredAt.localeCompare(b.occurredAt))) {
    const p = env.payload;
    const row = {
      traceId: env.traceId,
      eventId: env.eventId,
      accessionNumber: p.study.accessionNumber ?? null,
      patientId: p.study.patient.id ?? null,
      patientIdIssuer: p.study.patient.issuer ?? null,
      modalities: p.study.modalities,
      instanceCount: p.instanceCount,
      receivedAt: new Date(p.study.receivedAt),
      originProtocol: p.origin.protocol,
      ...studyDemographics(p.study),
    };
    const studyInstanceUid = p.study.studyInstanceUid;
    const created = await tx.study.createMany({ data: [{ studyInstanceUid, ...row }], skipDuplicates: true });
    if (created.count === 0) {
      // A study re-sent, completed in parts or updated: the newest event wins, whatever the delivery order.
      await tx.study.updateMany({ where: { studyInstanceUid, event: { occurredAt: { lte: new Date(env.occurredAt) } } }, data: row });
    }
  }
}

async function writeStudyUpdates(tx: Tx, envs: Array<Envelope<StudyUpdated>>): Promise<void> {
  await tx.studyUpdate.createMany({
    data: envs.map((env) => ({
      eventId: env.eventId,
      traceId: env.traceId,
      studyInstanceUid: env.payload.study.studyInstanceUid,
      revision: env.payload.revision,
      changes: env.payload.changes,
      addedInstanceCount: env.payload.addedInstanceCount,
      instanceCount: env.payload.instanceCount,
      occurredAt: new Date(env.occurredAt),
    })),
  });
  await writeStudies(tx, envs);
}

async function writeInference(tx: Tx, envs: Array<Envelope<InferenceCompleted>>): Promise<void> {
  const runs = envs.flatMap((env) => env.payload.runs.map((run, runIndex) => ({ env, run, runIndex })));
  if (runs.length === 0) return;
  const created = await tx.inferenceRun.createManyAndReturn({
    select: { id: true, eventId: true, runIndex: true },
    data: runs.map(({ env, run, runIndex }) => ({
      eventId: env.eventId,
      runIndex,
      traceId: env.traceId,
      studyInstanceUid: env.payload.study.studyInstanceUid,
      modelId: run.modelId,
      modelVersion: run.modelVersion,
      modelSha256: run.modelSha256,
      mode: run.mode,
      status: run.status,
      error: run.error ?? null,
      startedAt: new Date(run.startedAt),
      latencyMs: run.latencyMs,
      site: env.payload.study.context.site ?? null,
    })),
  });
  const idOf = new Map(created.map((r) => [`${r.eventId}/${r.runIndex}`, r.id]));
  const findings = runs.flatMap(({ env, run, runIndex }) =>
    run.findings.map((f) => ({
      runId: idFor(idOf, `${env.eventId.toLowerCase()}/${runIndex}`),
      label: f.label,
      kind: f.kind,
      codeSystem: f.code.system,
      code: f.code.code,
      codeDisplay: f.code.display ?? null,
      probability: f.probability,
      threshold: f.threshold,
      positive: f.positive,
      critical: f.critical,
    })),
  );
  if (findings.length) await tx.finding.createMany({ data: findings });
}

async function writePriority(tx: Tx, envs: Array<Envelope<PriorityDecided>>): Promise<void> {
  await tx.priorityDecision.createMany({
    data: envs.map((env) => ({
      eventId: env.eventId,
      traceId: env.traceId,
      studyInstanceUid: env.payload.study.studyInstanceUid,
      priority: env.payload.priority,
      score: env.payload.score,
      reasons: reasonsJson(env.payload.reasons),
      ruleSetVersion: env.payload.ruleSetVersion,
      decidedAt: new Date(env.payload.decidedAt),
    })),
  });
}

function versionIdOf(resource: Record<string, unknown>): string | null {
  const meta = resource.meta as { versionId?: unknown } | undefined;
  return typeof meta?.versionId === 'string' ? meta.versionId.slice(0, 64) : null;
}

async function writeReports(tx: Tx, envs: Array<Envelope<ReportIssued>>): Promise<void> {
  await tx.report.createMany({
    data: envs.map((env) => ({
      eventId: env.eventId,
      traceId: env.traceId,
      studyInstanceUid: env.payload.study.studyInstanceUid,
      reportId: env.payload.reportId,
      status: env.payload.status,
      priority: env.payload.priority,
      issuedAt: new Date(env.payload.issuedAt),
      versionId: versionIdOf(env.payload.diagnosticReport),
      resource: env.payload.diagnosticReport as Prisma.InputJsonObject,
    })),
  });
}

async function writeAssignments(tx: Tx, envs: Array<Envelope<AssignmentChanged>>): Promise<void> {
  await tx.assignment.createMany({
    data: envs.map(({ eventId, traceId, payload: p }) => ({
      eventId,
      traceId,
      studyInstanceUid: p.study.studyInstanceUid,
      action: p.action,
      readerId: p.reader?.id ?? null,
      readerDisplay: p.reader?.display ?? null,
      pool: p.pool,
      priority: p.priority,
      reasons: reasonsJson(p.reasons),
      silent: p.silent,
      at: new Date(p.at),
    })),
  });
}

async function writeAlerts(tx: Tx, envs: Array<Envelope<AlertChanged>>): Promise<void> {
  await tx.alertStep.createMany({
    data: envs.map(({ eventId, traceId, payload: p }) => ({
      eventId,
      traceId,
      studyInstanceUid: p.study.studyInstanceUid,
      alertId: p.alertId,
      action: p.action,
      tier: p.tier,
      step: p.step,
      recipientId: p.recipient?.id ?? null,
      role: p.role ?? null,
      channels: p.channels,
      findings: p.findings as unknown as Json,
      reasons: reasonsJson(p.reasons),
      ackDeadline: p.ackDeadline ? new Date(p.ackDeadline) : null,
      acknowledgedById: p.acknowledgedBy?.id ?? null,
      acknowledgedByDisplay: p.acknowledgedBy?.display ?? null,
      at: new Date(p.at),
    })),
  });
}

async function writeReads(tx: Tx, envs: Array<Envelope<ReadSigned>>): Promise<void> {
  const created = await tx.read.createManyAndReturn({
    select: { id: true, eventId: true },
    data: envs.map(({ eventId, traceId, payload: p }) => ({
      eventId,
      traceId,
      studyInstanceUid: p.study.studyInstanceUid,
      readId: p.readId,
      status: p.status,
      readerId: p.reader.id,
      readerDisplay: p.reader.display ?? null,
      readerNpi: p.reader.npi ?? null,
      impression: p.impression,
      conclusionCodes: p.conclusionCodes as unknown as Json,
      priority: p.priority,
      claimedAt: p.claimedAt ? new Date(p.claimedAt) : null,
      signedAt: new Date(p.signedAt),
      ...studyDemographics(p.study),
      modalities: p.study.modalities,
      bodyPart: p.study.bodyPart ?? null,
    })),
  });
  const idOf = new Map(created.map((r) => [r.eventId, r.id]));
  const verdicts = envs.flatMap((env) =>
    env.payload.verdicts.map((v) => ({
      readRowId: idFor(idOf, env.eventId.toLowerCase()),
      label: v.label,
      codeSystem: v.code.system,
      code: v.code.code,
      modelId: v.modelId,
      modelVersion: v.modelVersion,
      aiPositive: v.aiPositive,
      verdict: v.verdict,
      readPositive: v.verdict === 'confirmed' ? v.aiPositive : !v.aiPositive,
    })),
  );
  if (verdicts.length) await tx.readVerdict.createMany({ data: verdicts });
}

async function writeDeliveries(tx: Tx, envs: Array<Envelope<DeliveryRecorded>>): Promise<void> {
  await tx.delivery.createMany({
    data: envs.map(({ eventId, traceId, payload: p }) => ({
      eventId,
      traceId,
      studyInstanceUid: p.study.studyInstanceUid,
      deliveryId: p.deliveryId,
      channel: p.channel,
      target: p.target,
      messageType: p.messageType,
      attempt: p.attempt,
      outcome: p.outcome,
      detail: p.detail ?? null,
      at: new Date(p.at),
    })),
  });
}

/** The writer of each event type the audit store consumes. */
export const STAGE_WRITERS: Record<string, StageWriter> = {
  [EVENTS.studyReceived.type]: (tx, e) => writeStudies(tx, e as Array<Envelope<StudyReceived>>),
  [EVENTS.studyUpdated.type]: (tx, e) => writeStudyUpdates(tx, e as Array<Envelope<StudyUpdated>>),
  [EVENTS.inferenceCompleted.type]: (tx, e) => writeInference(tx, e as Array<Envelope<InferenceCompleted>>),
  [EVENTS.priorityDecided.type]: (tx, e) => writePriority(tx, e as Array<Envelope<PriorityDecided>>),
  [EVENTS.reportIssued.type]: (tx, e) => writeReports(tx, e as Array<Envelope<ReportIssued>>),
  [EVENTS.assignmentChanged.type]: (tx, e) => writeAssignments(tx, e as Array<Envelope<AssignmentChanged>>),
  [EVENTS.alertChanged.type]: (tx, e) => writeAlerts(tx, e as Array<Envelope<AlertChanged>>),
  [EVENTS.readSigned.type]: (tx, e) => writeReads(tx, e as Array<Envelope<ReadSigned>>),
  [EVENTS.deliveryRecorded.type]: (tx, e) => writeDeliveries(tx, e as Array<Envelope<DeliveryRecorded>>),
};
