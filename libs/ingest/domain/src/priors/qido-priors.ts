import { DicomUidSchema, type PriorStudy } from '@triage/contracts';
import { dicomDateToIso } from '../dicom-date';

type QidoAttribute = { vr?: string; Value?: unknown[] };
export type QidoStudy = Record<string, QidoAttribute | undefined>;

/**
 * The QIDO-RS search (PS3.18 10.6) for a patient's studies. StudyDate, AccessionNumber and
 * ModalitiesInStudy are in every study-level answer (PS3.18 table 6.7.1-2), so only StudyDescription is
 * asked for: one includefield value, because a comma list arrives URL-encoded (%2C) and Orthanc 1.10 does
 * not decode it.
 */
export function priorsQuery(patientId: string): Record<string, string> | undefined {
  // '*' and '?' are wildcards and '\\' separates values in a QIDO match: such an id cannot be matched exactly.
  if (/[*?\\]/.test(patientId)) return undefined;
  return { PatientID: patientId, includefield: '00081030' };
}

const first = (s: QidoStudy, tag: string): unknown => s[tag]?.Value?.[0];
const str = (s: QidoStudy, tag: string, max: number): string | undefined => {
  const v = first(s, tag);
  return typeof v === 'string' && v.trim() ? v.trim().slice(0, max) : undefined;
};

/**
 * The prior studies in a QIDO-RS answer: the current study and other patient ids left out, another issuer of the
 * patient id left out when both sides name one, invalid UIDs dropped; newest first, at most `max`.
 */
export function toPriors(
  answer: QidoStudy[],
  current: { studyInstanceUid: string; patientId: string; issuer?: string },
  studyUrl: (studyUid: string) => string,
  max: number,
): PriorStudy[] {
  const out: PriorStudy[] = [];
  for (const s of answer) {
    const uid = str(s, '0020000D', 64);
    if (!uid || uid === current.studyInstanceUid || !DicomUidSchema.safeParse(uid).success) continue;
    // Matching is the PACS's; the answer is checked again, so a sloppy matcher cannot mix patients.
    if (str(s, '00100020', 64) !== current.patientId) continue;
    const issuer = str(s, '00100021', 64);
    if (issuer && current.issuer && issuer !== current.issuer) continue;
    const modalities = (s['00080061']?.Value ?? []).filter((m): m is string => typeof m === 'string' && m.length > 0 && m.length <= 16);
    out.push({
      studyInstanceUid: uid,
      ...(str(s, '00080050', 16) ? { accessionNumber: str(s, '00080050', 16) } : {}),
      ...(dicomDateToIso(first(s, '00080020')) ? { studyDate: dicomDateToIso(first(s, '00080020')) } : {}),
      ...(str(s, '00081030', 64) ? { studyDescription: str(s, '00081030', 64) } : {}),
      ...(modalities.length ? { modalities } : {}),
      retrieveUrl: studyUrl(uid),
    });
  }
  out.sort((a, b) => (b.studyDate ?? '').localeCompare(a.studyDate ?? ''));
  return out.slice(0, max);
}

/** A stable string of a prior list, to tell whether the announced priors changed. */
export function priorsFingerprint(priors: PriorStudy[] | undefined): string {
  return JSON.stringify((priors ?? []).map((p) => p.studyInstanceUid).sort());
}
