import { randomUUID } from 'node:crypto';
import {
  createEnvelope,
  EVENTS,
  type AlertChanged,
  type AssignmentChanged,
  type DeliveryRecorded,
  type Envelope,
  type FindingVerdict,
  type ReadSigned,
  type ReportIssued,
  type StudyUpdated,
} from '@triage/contracts';
import type { ThinFlowEnvelopes } from './thin-flow.fixture';

export interface CarePathwayEnvelopes {
  updated: Envelope<StudyUpdated>;
  assigned: Envelope<AssignmentChanged>;
  alertRaised: Envelope<AlertChanged>;
  alertAcknowledged: Envelope<AlertChanged>;
  read: Envelope<ReadSigned>;
  finalReport: Envelope<ReportIssued>;
  delivery: Envelope<DeliveryRecorded>;
}

export interface ReadOptions {
  verdicts?: FindingVerdict[];
  status?: 'final' | 'amended';
  signedAt?: Date;
}

const READER = { id: 'rad-neuro-1', display: 'Dr Reader', npi: '1234567890' };

/** Test support: a read.signed for a thin flow, by default confirming both of its AI findings. */
export function buildReadEnvelope(flow: ThinFlowEnvelopes, opts: ReadOptions = {}): Envelope<ReadSigned> {
  const study = flow.received.payload.study;
  const signedAt = opts.signedAt ?? new Date(new Date(flow.report.occurredAt).getTime() + 3_000);
  const verdicts =
    opts.verdicts ??
    flow.inference.payload.runs.flatMap((run) =>
      run.findings.map((f) => ({ label: f.label, code: f.code, modelId: run.modelId, modelVersion: run.modelVersion, aiPositive: f.positive, verdict: 'confirmed' as const })),
    );
  return createEnvelope(
    EVENTS.readSigned,
    {
      study,
      readId: randomUUID(),
      status: opts.status ?? 'final',
      reader: READER,
      verdicts,
      impression: 'Synthetic impression: small left pneumothorax.',
      conclusionCodes: [{ system: 'http://snomed.info/sct', code: '36118008' }],
      priority: 'critical',
      signedAt: signedAt.toISOString(),
    },
    { subject: flow.studyInstanceUid, trace: { traceId: flow.traceId }, source: 'routing', occurredAt: signedAt },
  );
}

/**
 * Test support: the events after the thin flow of one study, `stepMs` apart after its preliminary report:
 * an update (a late instance), the assignment, a critical alert raised and acknowledged, the signed read,
 * the final DiagnosticReport and its delivery.
 */
export function buildCarePathwayEnvelopes(flow: ThinFlowEnvelopes, stepMs = 1_000): CarePathwayEnvelopes {
  const study = flow.received.payload.study;
  const t0 = new Date(flow.report.occurredAt).getTime();
  const at = (i: number) => new Date(t0 + i * stepMs);
  const common = (i: number, source: 'ingest' | 'routing' | 'reporting') => ({
    subject: flow.studyInstanceUid,
    trace: { traceId: flow.traceId },
    source,
    occurredAt: at(i),
  });
  const received = flow.received.payload;
  const updated = createEnvelope(
    EVENTS.studyUpdated,
    { ...received, instanceCount: received.instanceCount + 1, changes: ['instances-added'], revision: 1, addedInstanceCount: 1 },
    { ...common(0, 'ingest'), occurredAt: new Date(new Date(flow.received.occurredAt).getTime() + 500) },
  );
  const assigned = createEnvelope(
    EVENTS.assignmentChanged,
    { study, action: 'assigned', reader: READER, pool: 'neuro', priority: 'critical', reasons: [{ ruleId: 'neuro-on-shift', text: 'Neuroradiologist on shift' }], silent: false, at: at(1).toISOString() },
    common(1, 'routing'),
  );
  const alertId = randomUUID();
  const finding = flow.inference.payload.runs[0].findings[0];
  const alert = { study, alertId, tier: 'critical' as const, step: 0, recipient: READER, role: 'assigned-reader' as const, channels: ['pager' as const, 'worklist' as const], findings: [finding], reasons: [{ ruleId: 'critical-finding', text: 'Critical AI finding' }] };
  const alertRaised = createEnvelope(EVENTS.alertChanged, { ...alert, action: 'raised', ackDeadline: at(4).toISOString(), at: at(1.5).toISOString() }, common(1.5, 'routing'));
  const alertAcknowledged = createEnvelope(EVENTS.alertChanged, { ...alert, action: 'acknowledged', acknowledgedBy: READER, at: at(2).toISOString() }, common(2, 'routing'));
  const read = buildReadEnvelope(flow, { signedAt: at(3) });
  const reportId = flow.report.payload.reportId;
  const finalReport = createEnvelope(
    EVENTS.reportIssued,
    {
      study,
      reportId,
      status: 'final',
      priority: 'critical',
      diagnosticReport: { resourceType: 'DiagnosticReport', id: reportId, meta: { versionId: '2' }, status: 'final', code: { text: 'CT head' }, conclusion: 'Synthetic impression' },
      issuedAt: at(4).toISOString(),
    },
    common(4, 'reporting'),
  );
  const delivery = createEnvelope(
    EVENTS.deliveryRecorded,
    { study, deliveryId: `bundle-${reportId}`, channel: 'fhir', target: 'ehr-test', messageType: 'transaction Bundle', attempt: 1, outcome: 'delivered', detail: 'HTTP 200', at: at(5).toISOString() },
    common(5, 'reporting'),
  );
  return { updated, assigned, alertRaised, alertAcknowledged, read, finalReport, delivery };
}
