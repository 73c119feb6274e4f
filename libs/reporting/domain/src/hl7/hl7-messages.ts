import type { AlertChanged, Finding, PriorityDecided, ReadSigned, StudyRef } from '@triage/contracts';
import { draftReportText, signedReportText } from '../diagnostic-report.builder';
import { reportableFindings } from '../report-state';
import { findingCodings } from '../terminology';
import { codingSystemName, escapeHl7, field, hl7Date, hl7DateTime, messageControlId, mshSegment, patientSegments } from './hl7-encoding';

/** Where messages come from and go to (MSH-3..6). */
export interface Hl7Parties {
  sendingApplication: string;
  sendingFacility: string;
  receivingApplication: string;
  receivingFacility: string;
}

/** A built HL7 v2 message: ER7 text with CR segment separators, and what identifies it. */
export interface BuiltHl7Message {
  controlId: string;
  messageType: string;
  text: string;
}

const PRESENT = '52101004^Present^SCT';
const ABSENT = '2667000^Absent^SCT';
const IMPRESSION = '19005-8^Radiology Imaging study [Impression] (narrative)^LN';
const REPORT_TEXT = '18782-3^Radiology Study observation (narrative)^LN';
/** DICOM (DCM) codes for the study's identity, as IHE AIR and SR use them. */
const STUDY_UID = '110180^Study Instance UID^DCM';
const ACCESSION = '121022^Accession Number^DCM';

function findingCode(finding: Pick<Finding, 'code' | 'label'>): string {
  // OBX-3 CWE: identifier^text^system, then the SNOMED CT equivalent as the alternate triplet where known.
  const [own, alt] = findingCodings(finding.code);
  const text = own.display ?? finding.label;
  return field(own.code, text, codingSystemName(own.system ?? ''), alt?.code, alt?.display, alt ? codingSystemName(alt.system ?? '') : undefined);
}

function obx(setId: number, type: string, code: string, subId: string, value: string, units: string, status: string, at: string): string {
  return ['OBX', String(setId), type, code, subId, value, units, '', '', '', '', status, '', '', hl7DateTime(at)].join('|');
}

/** OBX segments for the AI findings: the finding present/absent, then its probability and threshold. */
function findingObx(findings: Finding[], status: string, at: string, start = 1): string[] {
  const out: string[] = [];
  let n = start;
  findings.forEach((f, i) => {
    const sub = String(i + 1);
    out.push(obx(n++, 'CWE', findingCode(f), sub, f.positive ? PRESENT : ABSENT, '', status, at));
    out.push(obx(n++, 'NM', 'ai-probability^AI model output probability^99TMC', sub, f.probability.toFixed(4), '1^^UCUM', status, at));
    out.push(obx(n++, 'NM', 'ai-threshold^AI model decision threshold^99TMC', sub, f.threshold.toFixed(4), '1^^UCUM', status, at));
  });
  return out;
}

function textObx(code: string, text: string, status: string, at: string, start: number): string[] {
  return text.split('\n').map((line, i) => obx(start + i, 'TX', code, '', escapeHl7(line), '', status, at));
}

function obr(study: StudyRef, status: 'P' | 'F' | 'C', resultAt: string, interpreter?: string): string {
  const f: string[] = ['OBR', '1', '', escapeHl7(study.accessionNumber ?? study.studyInstanceUid.slice(-22)), field('18748-4', study.studyDescription ?? 'Diagnostic imaging study', 'LN')];
  f[7] = study.studyDate ? hl7Date(study.studyDate) : hl7DateTime(study.receivedAt);
  f[22] = hl7DateTime(resultAt);
  f[25] = status;
  if (interpreter) f[32] = interpreter;
  return Array.from({ length: f.length }, (_, i) => f[i] ?? '').join('|');
}

function assemble(header: Hl7Parties, messageType: string, controlId: string, createdAt: string, segments: string[]): BuiltHl7Message {
  const msh = mshSegment({ ...header, messageType, controlId, createdAt });
  return { controlId, messageType, text: [msh, ...segments].join('\r') };
}

/** ORU^R01 for the AI pre-read: the findings as preliminary (P) results, with the draft text. */
export function buildPreliminaryOru(decision: PriorityDecided, eventId: string, parties: Hl7Parties, createdAt: string): BuiltHl7Message {
  const findings = reportableFindings(decision.runs).map((f) => f.finding);
  const at = decision.decidedAt;
  const obxs = findingObx(findings, 'P', at);
  obxs.push(...textObx(REPORT_TEXT, draftReportText(decision), 'P', at, obxs.length + 1));
  const orc = ['ORC', 'RE', '', escapeHl7(decision.study.accessionNumber ?? '')].join('|');
  return assemble(parties, 'ORU^R01^ORU_R01', messageControlId(eventId, 'oru'), createdAt, [
    ...patientSegments(decision.study),
    orc,
    obr(decision.study, 'P', at),
    ...obxs,
  ]);
}

/** ORU^R01 for the signed read: final (F) or corrected (C) results, the impression and the coded conclusions. */
export function buildFinalOru(read: ReadSigned, eventId: string, parties: Hl7Parties, createdAt: string): BuiltHl7Message {
  const status = read.status === 'amended' ? 'C' : 'F';
  const at = read.signedAt;
  const readFindings: Finding[] = read.verdicts.map((v) => ({
    label: v.label,
    kind: 'finding',
    code: v.code,
    probability: 0,
    threshold: 0,
    positive: v.verdict === 'confirmed' ? v.aiPositive : !v.aiPositive,
    critical: false,
  }));
  const obxs: string[] = readFindings.map((f, i) => obx(i + 1, 'CWE', findingCode(f), String(i + 1), f.positive ? PRESENT : ABSENT, '', status, at));
  read.conclusionCodes.forEach((c) => obxs.push(obx(obxs.length + 1, 'CWE', IMPRESSION, 'coded', field(c.code, c.display, codingSystemName(c.system)), '', status, at)));
  obxs.push(...textObx(REPORT_TEXT, signedReportText(read), status, at, obxs.length + 1));
  const interpreter = [escapeHl7(read.reader.id), escapeHl7(read.reader.display ?? '')].join('&');
  const orc = ['ORC', 'RE', '', escapeHl7(read.study.accessionNumber ?? '')].join('|');
  return assemble(parties, 'ORU^R01^ORU_R01', messageControlId(eventId, 'oru'), createdAt, [
    ...patientSegments(read.study),
    orc,
    obr(read.study, status, at, interpreter),
    ...obxs,
  ]);
}

/** ADT alert for a critical finding (event type configurable, e.g. A08): EVN, PID, PV1, OBX per finding, the study's UID and accession number, then the alert text. */
export function buildAdtAlert(alert: AlertChanged, eventId: string, parties: Hl7Parties, createdAt: string, eventType: string): BuiltHl7Message {
  const at = alert.at;
  const evn = ['EVN', eventType, hl7DateTime(at)].join('|');
  const obxs = findingObx(alert.findings, 'P', at);
  // ADT has no OBR/ORC: without these the receiver cannot tell which study the alert is about.
  obxs.push(obx(obxs.length + 1, 'ST', STUDY_UID, '', escapeHl7(alert.study.studyInstanceUid), '', 'P', at));
  if (alert.study.accessionNumber) obxs.push(obx(obxs.length + 1, 'ST', ACCESSION, '', escapeHl7(alert.study.accessionNumber), '', 'P', at));
  const reasons = alert.reasons.map((r) => r.text).join('; ');
  obxs.push(obx(obxs.length + 1, 'TX', 'critical-alert^Critical finding alert^99TMC', '', escapeHl7(`CRITICAL FINDING ALERT (${alert.tier}, step ${alert.step}): ${reasons}`), '', 'P', at));
  return assemble(parties, `ADT^${eventType}^ADT_A01`, messageControlId(eventId, 'adt'), createdAt, [evn, ...patientSegments(alert.study), ...obxs]);
}
