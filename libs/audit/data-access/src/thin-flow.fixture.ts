import { randomBytes } from 'node:crypto';
import {
  createEnvelope,
  EVENTS,
  newTraceContext,
  type Envelope,
  type InferenceCompleted,
  type PriorityDecided,
  type ReportIssued,
  type StudyRef,
  type StudyReceived,
} from '@triage/contracts';

export interface ThinFlowEnvelopes {
  traceId: string;
  studyInstanceUid: string;
  received: Envelope<StudyReceived>;
  inference: Envelope<InferenceCompleted>;
  priority: Envelope<PriorityDecided>;
  report: Envelope<ReportIssued>;
}

/** A fresh `2.25.<decimal>` UID (PS3.5 B.2), as ingest mints them. */
export function randomDicomUid(): string {
  return `2.25.${BigInt(`0x${randomBytes(15).toString('hex')}`).toString()}`;
}

/**
 * Test support: the four contract-valid envelopes of one study's thin flow, occurring `stepMs` apart
 * from `start`, with one positive critical finding (test data only, synthetic patient).
 */
export function buildThinFlowEnvelopes(opts: { start?: Date; stepMs?: number; studyInstanceUid?: string } = {}): ThinFlowEnvelopes {
  const start = opts.start ?? new Date(Date.now() - 60_000);
  const step = opts.stepMs ?? 1_500;
  const at = (i: number) => new Date(start.getTime() + i * step);
  const trace = newTraceContext();
  const studyInstanceUid = opts.studyInstanceUid ?? randomDicomUid();
  const study: StudyRef = {
    studyInstanceUid,
    accessionNumber: 'ACC0001',
    modalities: ['DX'],
    bodyPart: 'CHEST',
    patient: { id: 'TEST-PATIENT', name: 'Test^Synthetic' },
    context: { patientClass: 'emergency', orderPriority: 'stat', site: 'SITE-A' },
    receivedAt: new Date(start.getTime() - 2_000).toISOString(),
  };
  const sha = 'ab'.repeat(32);
  const run = {
    modelId: 'chest-xray-triage',
    modelVersion: '1.0.0',
    modelSha256: sha,
    mode: 'active' as const,
    status: 'succeeded' as const,
    startedAt: at(0).toISOString(),
    latencyMs: 42.5,
    findings: [
      {
        label: 'pneumothorax',
        kind: 'finding' as const,
        code: { system: 'http://snomed.info/sct', code: '36118008', display: 'Pneumothorax' },
        probability: 0.91,
        threshold: 0.5,
        positive: true,
        critical: true,
      },
      {
        label: 'effusion',
        kind: 'finding' as const,
        code: { system: 'http://snomed.info/sct', code: '60046008', display: 'Pleural effusion' },
        probability: 0.12,
        threshold: 0.5,
        positive: false,
        critical: false,
      },
    ],
  };
  const common = { subject: studyInstanceUid, trace };
  const received = createEnvelope(
    EVENTS.studyReceived,
    {
      study,
      series: [
        {
          seriesInstanceUid: randomDicomUid(),
          modality: 'DX',
          instances: [
            { sopInstanceUid: randomDicomUid(), sopClassUid: '1.2.840.10008.5.1.4.1.1.1.1', transferSyntaxUid: '1.2.840.10008.1.2.1', sizeBytes: 1024, sha256: sha },
          ],
        },
      ],
      instanceCount: 1,
      origin: { protocol: 'stow-rs', peer: 'TESTSCU' },
      retrieveUrl: `http://127.0.0.1:8042/dicom-web/studies/${studyInstanceUid}`,
    },
    { ...common, source: 'ingest', occurredAt: at(0) },
  );
  const inference = createEnvelope(EVENTS.inferenceCompleted, { study, runs: [run] }, { ...common, source: 'inference', occurredAt: at(1) });
  const priority = createEnvelope(
    EVENTS.priorityDecided,
    {
      study,
      priority: 'critical',
      score: 0.91,
      reasons: [{ ruleId: 'critical-finding', text: 'AI pre-read found pneumothorax (p=0.91 >= 0.50)' }],
      ruleSetVersion: 'rules-1',
      runs: [run],
      decidedAt: at(2).toISOString(),
    },
    { ...common, source: 'routing', occurredAt: at(2) },
  );
  const report = createEnvelope(
    EVENTS.reportIssued,
    {
      study,
      reportId: 'dr-1',
      status: 'preliminary',
      priority: 'critical',
      diagnosticReport: { resourceType: 'DiagnosticReport', id: 'dr-1', status: 'preliminary', code: { text: 'AI pre-read' } },
      issuedAt: at(3).toISOString(),
    },
    { ...common, source: 'reporting', occurredAt: at(3) },
  );
  return { traceId: trace.traceId, studyInstanceUid, received, inference, priority, report };
}
