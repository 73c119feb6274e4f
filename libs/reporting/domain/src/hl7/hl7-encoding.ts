import { createHash } from 'node:crypto';
import type { StudyRef } from '@triage/contracts';

/** Escapes text for one HL7 v2 component (PS: v2.5.1 2.7): delimiters and line breaks become escape sequences. */
export function escapeHl7(text: string): string {
  return text
    .replace(/\\/g, '\\E\\')
    .replace(/\|/g, '\\F\\')
    .replace(/\^/g, '\\S\\')
    .replace(/&/g, '\\T\\')
    .replace(/~/g, '\\R\\')
    .replace(/\r/g, '\\X0D\\')
    .replace(/\n/g, '\\X0A\\')
    .split('')
    .filter((c) => c.charCodeAt(0) >= 0x20 || c === '\t')
    .join('');
}

/** Components of one field, each escaped, joined with ^ (trailing empty components dropped). */
export function field(...components: Array<string | number | undefined>): string {
  const parts = components.map((c) => (c === undefined ? '' : escapeHl7(String(c))));
  while (parts.length && parts[parts.length - 1] === '') parts.pop();
  return parts.join('^');
}

/** HL7 DTM from an ISO date-time (UTC, to the second): 20261122100003+0000. */
export function hl7DateTime(iso: string): string {
  const d = new Date(iso);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}+0000`;
}

/** HL7 DT from an ISO date: 20261121. */
export function hl7Date(isoDate: string): string {
  return isoDate.slice(0, 10).replace(/-/g, '');
}

/**
 * MSH-10 of the message reporting sends for an event: derived from the event id, so it is unique per
 * message and the same on every retry and after a restart. 20 characters (the ST length of v2.5.1).
 */
export function messageControlId(eventId: string, kind: string): string {
  return createHash('sha256').update(`${eventId}:${kind}`).digest('hex').slice(0, 20).toUpperCase();
}

/** HL7 table 0396 name for a FHIR code system URI. */
export function codingSystemName(system: string): string {
  switch (system) {
    case 'http://snomed.info/sct':
      return 'SCT';
    case 'http://loinc.org':
      return 'LN';
    case 'http://radelement.org':
      return '99RDE';
    case 'http://unitsofmeasure.org':
      return 'UCUM';
    default:
      return '99TMC';
  }
}

/** A DICOM PN (family^given^middle^prefix^suffix) as an HL7 XPN (family^given^middle^suffix^prefix). */
function xpn(pn: string | undefined): string {
  if (!pn) return '';
  const [family, given, middle, prefix, suffix] = pn.split('=')[0].split('^');
  return field(family, given, middle, suffix, prefix);
}

const PATIENT_CLASS: Record<StudyRef['context']['patientClass'], string> = { emergency: 'E', inpatient: 'I', outpatient: 'O', unknown: 'U' };

/** PID and PV1 of a study's patient. */
export function patientSegments(study: StudyRef): string[] {
  const p = study.patient;
  const pid = [
    'PID',
    '1',
    '',
    p.id ? `${escapeHl7(p.id)}^^^${escapeHl7(p.issuer ?? '')}^MR` : '',
    '',
    xpn(p.name),
    '',
    p.birthDate ? hl7Date(p.birthDate) : '',
    p.sex ?? '',
  ];
  return [pid.join('|'), ['PV1', '1', PATIENT_CLASS[study.context.patientClass]].join('|')];
}

export interface MessageHeader {
  sendingApplication: string;
  sendingFacility: string;
  receivingApplication: string;
  receivingFacility: string;
  /** MSH-9, e.g. ORU^R01^ORU_R01. */
  messageType: string;
  controlId: string;
  createdAt: string;
}

/** MSH for HL7 v2.5.1, production processing, original acknowledgement mode. */
export function mshSegment(h: MessageHeader): string {
  return [
    'MSH',
    '^~\\&',
    field(h.sendingApplication),
    field(h.sendingFacility),
    field(h.receivingApplication),
    field(h.receivingFacility),
    hl7DateTime(h.createdAt),
    '',
    h.messageType,
    h.controlId,
    'P',
    '2.5.1',
    '',
    '',
    '',
    '',
    '',
    'UNICODE UTF-8',
  ].join('|');
}
