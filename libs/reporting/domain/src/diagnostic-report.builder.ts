import type { Finding, InferenceRun, Priority, PriorityDecided } from '@triage/contracts';
import type { CodeableConcept, Coding, DiagnosticReport } from '@medplum/fhirtypes';
import { v5 as uuidv5 } from 'uuid';

/** UUID v5 namespace for the FHIR ids the mesh assigns: the same study always gets the same report id. */
const FHIR_ID_NAMESPACE = '5a8e1f7c-3c1d-4a4e-8f44-2d0b9e3c6a10';

export const DICOM_UID_SYSTEM = 'urn:dicom:uid';
export const REPORT_ID_SYSTEM = 'urn:triage-mesh:diagnostic-report';

/** Deterministic FHIR logical id of the AI pre-read DiagnosticReport of a study. */
export function preliminaryReportId(studyInstanceUid: string): string {
  return uuidv5(`${studyInstanceUid}:DiagnosticReport:ai-preread`, FHIR_ID_NAMESPACE);
}

const PRIORITY_TEXT: Record<Priority, string> = { critical: 'CRITICAL', urgent: 'URGENT', routine: 'ROUTINE' };

function positiveFindings(runs: InferenceRun[]): Array<{ run: InferenceRun; finding: Finding }> {
  return runs
    .filter((r) => r.mode === 'active' && r.status === 'succeeded')
    .flatMap((run) => run.findings.filter((f) => f.positive && f.kind === 'finding').map((finding) => ({ run, finding })));
}

/** The readable draft a radiologist sees beside the images; plain text, no patient identifiers. */
export function draftReportText(decision: PriorityDecided): string {
  const lines = [
    'AI PRE-READ - PRELIMINARY - NOT A RADIOLOGIST REPORT',
    `Study: ${decision.study.studyDescription ?? decision.study.modalities.join('/')}`,
    `Triage priority: ${PRIORITY_TEXT[decision.priority]} (score ${decision.score}, rule set ${decision.ruleSetVersion})`,
    'Reasons:',
    ...decision.reasons.map((r) => `  - ${r.text}`),
    'Models:',
  ];
  if (decision.runs.length === 0) lines.push('  - no model applies to this study');
  for (const run of decision.runs) {
    const head = `  - ${run.modelId} ${run.modelVersion} (${run.mode}${run.status === 'failed' ? ', FAILED' : ''})`;
    lines.push(head);
    for (const f of run.findings) {
      lines.push(`      ${f.code.display ?? f.label}: ${f.positive ? 'POSITIVE' : 'negative'} (p=${f.probability.toFixed(3)}, threshold ${f.threshold.toFixed(2)})`);
    }
  }
  lines.push('Findings from reference models are for exercising the pipeline only, not for clinical use.');
  return lines.join('\n');
}

function conclusion(decision: PriorityDecided): string {
  const positives = positiveFindings(decision.runs);
  const found = positives.length
    ? `AI pre-read suggests: ${positives.map((p) => p.finding.code.display ?? p.finding.label).join(', ')}.`
    : 'AI pre-read found no flagged finding.';
  return `${found} Triage priority ${PRIORITY_TEXT[decision.priority]}: ${decision.reasons[0].text}. Awaiting radiologist read.`;
}

/** Builds the preliminary FHIR R4 DiagnosticReport of the AI pre-read from a priority decision. */
export function buildPreliminaryReport(decision: PriorityDecided, issued: Date): DiagnosticReport {
  const { study } = decision;
  const positives = positiveFindings(decision.runs);
  const conclusionCode: CodeableConcept[] = positives.map(({ finding }) => ({
    coding: [{ system: finding.code.system, code: finding.code.code, display: finding.code.display } as Coding],
    text: finding.code.display ?? finding.label,
  }));
  const report: DiagnosticReport = {
    resourceType: 'DiagnosticReport',
    id: preliminaryReportId(study.studyInstanceUid),
    identifier: [
      { system: DICOM_UID_SYSTEM, value: `urn:oid:${study.studyInstanceUid}` },
      { system: REPORT_ID_SYSTEM, value: `${study.studyInstanceUid}/ai-preread` },
      ...(study.accessionNumber
        ? [{ type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'ACSN' }] }, value: study.accessionNumber }]
        : []),
    ],
    status: 'preliminary',
    category: [
      {
        coding: [
          { system: 'http://terminology.hl7.org/CodeSystem/v2-0074', code: 'RAD', display: 'Radiology' },
          { system: 'http://loinc.org', code: 'LP29684-5', display: 'Radiology' },
        ],
      },
    ],
    code: {
      coding: [{ system: 'http://loinc.org', code: '18748-4', display: 'Diagnostic imaging study' }],
      text: study.studyDescription ?? `${study.modalities.join('/')} imaging study`,
    },
    ...(study.patient.id
      ? { subject: { type: 'Patient', identifier: { value: study.patient.id, ...(study.patient.issuer ? { system: `urn:issuer:${study.patient.issuer}` } : {}) } } }
      : {}),
    effectiveDateTime: study.studyDate ?? study.receivedAt,
    issued: issued.toISOString(),
    conclusion: conclusion(decision),
    ...(conclusionCode.length ? { conclusionCode } : {}),
    presentedForm: [
      {
        contentType: 'text/plain; charset=utf-8',
        language: 'en',
        title: 'AI pre-read (preliminary)',
        data: Buffer.from(draftReportText(decision), 'utf8').toString('base64'),
      },
    ],
  };
  return report;
}
