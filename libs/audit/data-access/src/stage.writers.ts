import { studyDemographics } from '@triage/audit-domain';
import {
  EVENTS,
  type AlertChanged,
  type AssignmentChanged,
  type DeliveryRecorded,
  type Envelope,
  type InferenceCompleted,
  type InferenceRun,
  type PriorityDecided,
  type ReadSigned,
  type ReportIssued,
  type StudyReceived,
  type StudyUpdated,
} from '@triage/contracts';
import { insertMany, insertManyReturning, type Column } from './db/bulk-insert';
import type { SqlQuery } from './db/sql-transaction';

type Tx = SqlQuery;

/**
 * Writes the stage rows of a batch of freshly recorded events of one type: one multi-row INSERT per
 * table. The events' audit_event rows are already written in the same transaction.
 */
type StageWriter = (tx: Tx, envs: Envelope[]) => Promise<void>;

const reasonsJson = (reasons: Array<{ ruleId: string; text: string }>) => reasons.map((r) => ({ ruleId: r.ruleId, text: r.text }));
const at = (iso: string) => new Date(iso);
const lower = (uuid: string) => uuid.toLowerCase();

/** Columns every stage row starts with. */
function stageColumns<P extends { study: { studyInstanceUid: string } }>(): Array<Column<Envelope<P>>> {
  return [
    ['event_id', 'uuid', (e) => e.eventId],
    ['trace_id', 'text', (e) => e.traceId],
    ['study_instance_uid', 'text', (e) => e.payload.study.studyInstanceUid],
  ];
}

type StudyEnvelope = Envelope<StudyReceived | StudyUpdated>;
const STUDY_COLUMNS: Array<Column<StudyEnvelope>> = [
  ['study_instance_uid', 'text', (e) => e.payload.study.studyInstanceUid],
  ['trace_id', 'text', (e) => e.traceId],
  ['event_id', 'uuid', (e) => e.eventId],
  ['accession_number', 'text', (e) => e.payload.study.accessionNumber],
  ['patient_id', 'text', (e) => e.payload.study.patient.id],
  ['patient_id_issuer', 'text', (e) => e.payload.study.patient.issuer],
  ['modalities', 'text[]', (e) => e.payload.study.modalities],
  ['instance_count', 'int', (e) => e.payload.instanceCount],
  ['received_at', 'timestamptz', (e) => at(e.payload.study.receivedAt)],
  ['origin_protocol', 'text', (e) => e.payload.origin.protocol],
  ['age_band', 'text', (e) => studyDemographics(e.payload.study).ageBand],
  ['sex', 'text', (e) => studyDemographics(e.payload.study).sex],
  ['site', 'text', (e) => studyDemographics(e.payload.study).site],
  ['updated_at', 'timestamptz', () => new Date()],
];
const STUDY_UPDATED = STUDY_COLUMNS.filter(([c]) => c !== 'study_instance_uid').map(([c]) => `"${c}" = EXCLUDED."${c}"`).join(', ');

/**
 * A study as last received: the newest study.received / study.updated wins, whatever the delivery
 * order (a late, older event does not overwrite a newer one). One upsert per batch, newest per study.
 */
async function writeStudies(tx: Tx, envs: StudyEnvelope[]): Promise<void> {
  const newest = new Map<string, StudyEnvelope>();
  for (const e of envs) {
    const uid = e.payload.study.studyInstanceUid;
    const prev = newest.get(uid);
    if (!prev || prev.occurredAt <= e.occurredAt) newest.set(uid, e);
  }
  await insertMany(
    tx,
    'study',
    STUDY_COLUMNS,
    [...newest.values()],
    `ON CONFLICT ("study_instance_uid") DO UPDATE SET ${STUDY_UPDATED}
     WHERE (SELECT occurred_at FROM audit_event WHERE event_id = "study"."event_id") <= (SELECT occurred_at FROM audit_event WHERE event_id = EXCLUDED."event_id")`,
  );
}

async function writeStudyUpdates(tx: Tx, envs: Array<Envelope<StudyUpdated>>): Promise<void> {
  await insertMany(tx, 'study_update', [
    ...stageColumns<StudyUpdated>(),
    ['revision', 'int', (e) => e.payload.revision],
    ['changes', 'text[]', (e) => e.payload.changes],
    ['added_instance_count', 'int', (e) => e.payload.addedInstanceCount],
    ['instance_count', 'int', (e) => e.payload.instanceCount],
    ['occurred_at', 'timestamptz', (e) => at(e.occurredAt)],
  ], envs);
  await writeStudies(tx, envs);
}

interface RunRow {
  env: Envelope<InferenceCompleted>;
  run: InferenceRun;
  runIndex: number;
}

async function writeInference(tx: Tx, envs: Array<Envelope<InferenceCompleted>>): Promise<void> {
  const runs: RunRow[] = envs.flatMap((env) => env.payload.runs.map((run, runIndex) => ({ env, run, runIndex })));
  if (runs.length === 0) return;
  const created = await insertManyReturning<RunRow, { id: bigint; event_id: string; run_index: number }>(
    tx,
    'inference_run',
    [
      ['event_id', 'uuid', (r) => r.env.eventId],
      ['run_index', 'int', (r) => r.runIndex],
      ['trace_id', 'text', (r) => r.env.traceId],
      ['study_instance_uid', 'text', (r) => r.env.payload.study.studyInstanceUid],
      ['model_id', 'text', (r) => r.run.modelId],
      ['model_version', 'text', (r) => r.run.modelVersion],
      ['model_sha256', 'text', (r) => r.run.modelSha256],
      ['mode', 'text', (r) => r.run.mode],
      ['status', 'text', (r) => r.run.status],
      ['error', 'text', (r) => r.run.error],
      ['started_at', 'timestamptz', (r) => at(r.run.startedAt)],
      ['latency_ms', 'float8', (r) => r.run.latencyMs],
      ['site', 'text', (r) => r.env.payload.study.context.site],
    ],
    runs,
    'id, event_id::text AS event_id, run_index',
  );
  const idOf = new Map(created.map((r) => [`${r.event_id}/${Number(r.run_index)}`, r.id]));
  const findings = runs.flatMap(({ env, run, runIndex }) => run.findings.map((f) => ({ runId: idFor(idOf, `${lower(env.eventId)}/${runIndex}`), f })));
  await insertMany(tx, 'finding', [
    ['run_id', 'bigint', (r) => r.runId],
    ['label', 'text', (r) => r.f.label],
    ['kind', 'text', (r) => r.f.kind],
    ['code_system', 'text', (r) => r.f.code.system],
    ['code', 'text', (r) => r.f.code.code],
    ['code_display', 'text', (r) => r.f.code.display],
    ['probability', 'float8', (r) => r.f.probability],
    ['threshold', 'float8', (r) => r.f.threshold],
    ['positive', 'bool', (r) => r.f.positive],
    ['critical', 'bool', (r) => r.f.critical],
  ], findings);
}

/** The row id created for a key; a missing one means the insert returned fewer rows than it was given. */
function idFor(ids: Map<string, bigint>, key: string): bigint {
  const id = ids.get(key);
  if (id === undefined) throw new Error(`stage row for ${key} was not returned by its insert`);
  return id;
}

async function writePriority(tx: Tx, envs: Array<Envelope<PriorityDecided>>): Promise<void> {
  await insertMany(tx, 'priority_decision', [
    ...stageColumns<PriorityDecided>(),
    ['priority', 'text', (e) => e.payload.priority],
    ['score', 'float8', (e) => e.payload.score],
    ['reasons', 'jsonb', (e) => reasonsJson(e.payload.reasons)],
    ['rule_set_version', 'text', (e) => e.payload.ruleSetVersion],
    ['decided_at', 'timestamptz', (e) => at(e.payload.decidedAt)],
  ], envs);
}

function versionIdOf(resource: Record<string, unknown>): string | null {
  const meta = resource.meta as { versionId?: unknown } | undefined;
  return typeof meta?.versionId === 'string' ? meta.versionId.slice(0, 64) : null;
}

async function writeReports(tx: Tx, envs: Array<Envelope<ReportIssued>>): Promise<void> {
  await insertMany(tx, 'report', [
    ...stageColumns<ReportIssued>(),
    ['report_id', 'text', (e) => e.payload.reportId],
    ['status', 'text', (e) => e.payload.status],
    ['priority', 'text', (e) => e.payload.priority],
    ['issued_at', 'timestamptz', (e) => at(e.payload.issuedAt)],
    ['version_id', 'text', (e) => versionIdOf(e.payload.diagnosticReport)],
    ['resource', 'jsonb', (e) => e.payload.diagnosticReport],
  ], envs);
}

async function writeAssignments(tx: Tx, envs: Array<Envelope<AssignmentChanged>>): Promise<void> {
  await insertMany(tx, 'assignment', [
    ...stageColumns<AssignmentChanged>(),
    ['action', 'text', (e) => e.payload.action],
    ['reader_id', 'text', (e) => e.payload.reader?.id],
    ['reader_display', 'text', (e) => e.payload.reader?.display],
    ['pool', 'text', (e) => e.payload.pool],
    ['priority', 'text', (e) => e.payload.priority],
    ['reasons', 'jsonb', (e) => reasonsJson(e.payload.reasons)],
    ['silent', 'bool', (e) => e.payload.silent],
    ['at', 'timestamptz', (e) => at(e.payload.at)],
  ], envs);
}

async function writeAlerts(tx: Tx, envs: Array<Envelope<AlertChanged>>): Promise<void> {
  await insertMany(tx, 'alert_step', [
    ...stageColumns<AlertChanged>(),
    ['alert_id', 'uuid', (e) => e.payload.alertId],
    ['action', 'text', (e) => e.payload.action],
    ['tier', 'text', (e) => e.payload.tier],
    ['step', 'int', (e) => e.payload.step],
    ['recipient_id', 'text', (e) => e.payload.recipient?.id],
    ['role', 'text', (e) => e.payload.role],
    ['channels', 'text[]', (e) => e.payload.channels],
    ['findings', 'jsonb', (e) => e.payload.findings],
    ['reasons', 'jsonb', (e) => reasonsJson(e.payload.reasons)],
    ['ack_deadline', 'timestamptz', (e) => (e.payload.ackDeadline ? at(e.payload.ackDeadline) : null)],
    ['acknowledged_by_id', 'text', (e) => e.payload.acknowledgedBy?.id],
    ['acknowledged_by_display', 'text', (e) => e.payload.acknowledgedBy?.display],
    ['at', 'timestamptz', (e) => at(e.payload.at)],
  ], envs);
}

async function writeReads(tx: Tx, envs: Array<Envelope<ReadSigned>>): Promise<void> {
  const created = await insertManyReturning<Envelope<ReadSigned>, { id: bigint; event_id: string }>(
    tx,
    'read',
    [
      ...stageColumns<ReadSigned>(),
      ['read_id', 'uuid', (e) => e.payload.readId],
      ['status', 'text', (e) => e.payload.status],
      ['reader_id', 'text', (e) => e.payload.reader.id],
      ['reader_display', 'text', (e) => e.payload.reader.display],
      ['reader_npi', 'text', (e) => e.payload.reader.npi],
      ['impression', 'text', (e) => e.payload.impression],
      ['conclusion_codes', 'jsonb', (e) => e.payload.conclusionCodes],
      ['priority', 'text', (e) => e.payload.priority],
      ['claimed_at', 'timestamptz', (e) => (e.payload.claimedAt ? at(e.payload.claimedAt) : null)],
      ['signed_at', 'timestamptz', (e) => at(e.payload.signedAt)],
      ['site', 'text', (e) => studyDemographics(e.payload.study).site],
      ['age_band', 'text', (e) => studyDemographics(e.payload.study).ageBand],
      ['sex', 'text', (e) => studyDemographics(e.payload.study).sex],
      ['modalities', 'text[]', (e) => e.payload.study.modalities],
      ['body_part', 'text', (e) => e.payload.study.bodyPart],
    ],
    envs,
    'id, event_id::text AS event_id',
  );
  const idOf = new Map(created.map((r) => [r.event_id, r.id]));
  const verdicts = envs.flatMap((env) => env.payload.verdicts.map((v) => ({ readRowId: idFor(idOf, lower(env.eventId)), v })));
  await insertMany(tx, 'read_verdict', [
    ['read_row_id', 'bigint', (r) => r.readRowId],
    ['label', 'text', (r) => r.v.label],
    ['code_system', 'text', (r) => r.v.code.system],
    ['code', 'text', (r) => r.v.code.code],
    ['model_id', 'text', (r) => r.v.modelId],
    ['model_version', 'text', (r) => r.v.modelVersion],
    ['ai_positive', 'bool', (r) => r.v.aiPositive],
    ['verdict', 'text', (r) => r.v.verdict],
    ['read_positive', 'bool', (r) => (r.v.verdict === 'confirmed' ? r.v.aiPositive : !r.v.aiPositive)],
  ], verdicts);
}

async function writeDeliveries(tx: Tx, envs: Array<Envelope<DeliveryRecorded>>): Promise<void> {
  await insertMany(tx, 'delivery', [
    ...stageColumns<DeliveryRecorded>(),
    ['delivery_id', 'text', (e) => e.payload.deliveryId],
    ['channel', 'text', (e) => e.payload.channel],
    ['target', 'text', (e) => e.payload.target],
    ['message_type', 'text', (e) => e.payload.messageType],
    ['attempt', 'int', (e) => e.payload.attempt],
    ['outcome', 'text', (e) => e.payload.outcome],
    ['detail', 'text', (e) => e.payload.detail],
    ['at', 'timestamptz', (e) => at(e.payload.at)],
  ], envs);
}

/** The writer of each event type the audit store consumes. */
export const STAGE_WRITERS: Record<string, StageWriter> = {
  [EVENTS.studyReceived.type]: (tx, e) => writeStudies(tx, e as StudyEnvelope[]),
  [EVENTS.studyUpdated.type]: (tx, e) => writeStudyUpdates(tx, e as Array<Envelope<StudyUpdated>>),
  [EVENTS.inferenceCompleted.type]: (tx, e) => writeInference(tx, e as Array<Envelope<InferenceCompleted>>),
  [EVENTS.priorityDecided.type]: (tx, e) => writePriority(tx, e as Array<Envelope<PriorityDecided>>),
  [EVENTS.reportIssued.type]: (tx, e) => writeReports(tx, e as Array<Envelope<ReportIssued>>),
  [EVENTS.assignmentChanged.type]: (tx, e) => writeAssignments(tx, e as Array<Envelope<AssignmentChanged>>),
  [EVENTS.alertChanged.type]: (tx, e) => writeAlerts(tx, e as Array<Envelope<AlertChanged>>),
  [EVENTS.readSigned.type]: (tx, e) => writeReads(tx, e as Array<Envelope<ReadSigned>>),
  [EVENTS.deliveryRecorded.type]: (tx, e) => writeDeliveries(tx, e as Array<Envelope<DeliveryRecorded>>),
};
