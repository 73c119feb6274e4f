import type { Priority, PriorityDecided, ReadSigned } from '@triage/contracts';
import type { Attachment, CodeableConcept, DiagnosticReport, ImagingStudy, Observation, Practitioner, Reference } from '@medplum/fhirtypes';
import { businessKeys, ID_SYSTEMS, preliminaryReportId } from './fhir-ids';
import { accessionIdentifiers, patientReference, positiveFindings, type StudyReportState } from './report-state';
import { findingCodings } from './terminology';

export { DICOM_UID_SYSTEM, preliminaryReportId, REPORT_ID_SYSTEM } from './fhir-ids';

const PRIORITY_TEXT: Record<Priority, string> = { critical: 'CRITICAL', urgent: 'URGENT', routine: 'ROUTINE' };

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

/** The signed report's text: the radiologist's impression and their verdict on each AI finding. */
export function signedReportText(read: ReadSigned): string {
  const lines = [
    read.status === 'amended' ? 'RADIOLOGY REPORT - AMENDED' : 'RADIOLOGY REPORT - FINAL',
    `Signed: ${read.signedAt}${read.reader.display ? ` by ${read.reader.display}` : ''}`,
    'Impression:',
    read.impression,
  ];
  if (read.verdicts.length) {
    lines.push('AI findings reviewed:');
    for (const v of read.verdicts) {
      const readPositive = v.verdict === 'confirmed' ? v.aiPositive : !v.aiPositive;
      lines.push(`  - ${v.code.display ?? v.label} (${v.modelId} ${v.modelVersion}): AI ${v.aiPositive ? 'positive' : 'negative'}, ${v.verdict}; read ${readPositive ? 'positive' : 'negative'}`);
    }
  }
  return lines.join('\n');
}

function aiConclusion(decision: PriorityDecided): string {
  const positives = positiveFindings(decision.runs);
  const found = positives.length
    ? `AI pre-read suggests: ${positives.map((p) => p.finding.code.display ?? p.finding.label).join(', ')}.`
    : 'AI pre-read found no flagged finding.';
  return `${found} Triage priority ${PRIORITY_TEXT[decision.priority]}: ${decision.reasons[0].text}. Awaiting radiologist read.`;
}

const textAttachment = (title: string, text: string, creation?: string): Attachment => ({
  contentType: 'text/plain; charset=utf-8',
  language: 'en',
  title,
  ...(creation ? { creation } : {}),
  data: Buffer.from(text, 'utf8').toString('base64'),
});

/** References of the other resources the report points at (already built, with their ids). */
export interface ReportLinks {
  observations?: Array<Reference<Observation>>;
  imagingStudy?: Reference<ImagingStudy>;
  resultsInterpreter?: Reference<Practitioner>;
}

/**
 * The study's one DiagnosticReport: preliminary from the AI pre-read, then final (or amended) with the
 * radiologist's conclusion once a read is signed. Same id and business identifier throughout.
 */
export function buildDiagnosticReport(state: StudyReportState, links: ReportLinks, issued: Date): DiagnosticReport {
  const { study, decision, read } = state;
  if (!decision && !read) throw new Error('a DiagnosticReport needs an AI decision or a signed read');
  const aiCodes: CodeableConcept[] = decision
    ? positiveFindings(decision.runs).map(({ finding }) => ({ coding: findingCodings(finding.code), text: finding.code.display ?? finding.label }))
    : [];
  const conclusionCode: CodeableConcept[] = read
    ? read.conclusionCodes.map((c) => ({ coding: [{ system: c.system, code: c.code, ...(c.display ? { display: c.display } : {}) }], ...(c.display ? { text: c.display } : {}) }))
    : aiCodes;
  const subject = patientReference(study);
  const presentedForm = [
    ...(read ? [textAttachment(read.status === 'amended' ? 'Radiology report (amended)' : 'Radiology report (final)', signedReportText(read), read.signedAt)] : []),
    ...(decision ? [textAttachment('AI pre-read (preliminary)', draftReportText(decision))] : []),
  ];
  return {
    resourceType: 'DiagnosticReport',
    id: preliminaryReportId(study.studyInstanceUid),
    identifier: [
      { system: ID_SYSTEMS.dicomUid, value: `urn:oid:${study.studyInstanceUid}` },
      { system: ID_SYSTEMS.report, value: businessKeys.report(study.studyInstanceUid) },
      ...accessionIdentifiers(study),
    ],
    status: read ? read.status : 'preliminary',
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
    ...(subject ? { subject } : {}),
    effectiveDateTime: study.studyDate ?? study.receivedAt,
    issued: read ? read.signedAt : issued.toISOString(),
    ...(links.resultsInterpreter ? { resultsInterpreter: [links.resultsInterpreter] } : {}),
    ...(links.observations?.length ? { result: links.observations } : {}),
    ...(links.imagingStudy ? { imagingStudy: [links.imagingStudy] } : {}),
    conclusion: read ? read.impression : aiConclusion(decision as PriorityDecided),
    ...(conclusionCode.length ? { conclusionCode } : {}),
    presentedForm,
  };
}

/** The AI pre-read's preliminary DiagnosticReport alone (no links), as issued before a read. */
export function buildPreliminaryReport(decision: PriorityDecided, issued: Date): DiagnosticReport {
  return buildDiagnosticReport({ study: decision.study, decision }, {}, issued);
}
