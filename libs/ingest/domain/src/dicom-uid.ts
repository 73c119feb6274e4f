import { DicomUidSchema } from '@triage/contracts';
import { DicomParseError, DicomParseErrorCode } from './dicom-parse.exception';

/** True when `uid` is a valid DICOM UID (digits and dots, no leading zeros, at most 64 characters). */
export function isDicomUid(uid: unknown): uid is string {
  return DicomUidSchema.safeParse(uid).success;
}

/**
 * Returns the UID when valid, else throws. Call it before a UID becomes part of a file path: it is what
 * keeps `../../x` or a 200-character value out of the storage tree.
 */
export function requireDicomUid(uid: unknown, attribute: string): string {
  if (typeof uid !== 'string' || uid.length === 0) {
    throw new DicomParseError(DicomParseErrorCode.MissingAttribute, `${attribute} is missing`);
  }
  // dcmjs keeps the trailing NUL pad of odd-length UI values on some paths; PS3.5 allows that padding.
  const trimmed = uid.replace(/\0+$/, '').trim();
  if (!isDicomUid(trimmed)) throw new DicomParseError(DicomParseErrorCode.InvalidUid, `${attribute} is not a valid DICOM UID`);
  return trimmed;
}
