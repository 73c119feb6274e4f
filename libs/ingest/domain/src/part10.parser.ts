import type { Patient } from '@triage/contracts';
import { dcmjs, type DcmjsDict } from './dcmjs.facade';
import { dicomDateToIso } from './dicom-date';
import { DicomParseError, DicomParseErrorCode } from './dicom-parse.exception';
import { checkPart10Structure } from './dicom-structure';
import { requireDicomUid } from './dicom-uid';

/** What the mesh needs to know about one received instance. Patient fields are PHI. */
export interface ParsedInstance {
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopInstanceUid: string;
  sopClassUid: string;
  transferSyntaxUid: string;
  modality?: string;
  bodyPart?: string;
  instanceNumber?: number;
  seriesNumber?: number;
  seriesDescription?: string;
  studyDate?: string;
  studyTime?: string;
  studyDescription?: string;
  accessionNumber?: string;
  patient: Patient;
}

const PIXEL_DATA = '7FE00010';

/** The bytes [0, end) as an ArrayBuffer: the Buffer's own when it is exactly that, else a copy of the prefix only. */
function arrayBufferPrefix(buf: Buffer, end: number): ArrayBuffer {
  if (buf.byteOffset === 0 && end === buf.buffer.byteLength) return buf.buffer as ArrayBuffer;
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + end) as ArrayBuffer;
}

/**
 * Reads the data set (up to, not including, pixel data) after the framing has been checked. dcmjs only
 * sees the bytes before the top-level Pixel Data element: the structure walk has already checked that
 * element's header and length (and everything after it) against the file, so a truncated or lying pixel
 * data length is still refused, without copying or decoding the pixel data.
 */
export function readDataset(buf: Buffer): { meta: DcmjsDict; dict: DcmjsDict; transferSyntaxUid: string } {
  const { transferSyntaxUid, pixelDataOffset } = checkPart10Structure(buf);
  try {
    // ignoreErrors: framing is already verified; what remains (e.g. an ISO 2022 character set dcmjs
    // cannot decode) should not cost the sender the whole instance.
    const bytes = arrayBufferPrefix(buf, pixelDataOffset ?? buf.length);
    const parsed = dcmjs.data.DicomMessage.readFile(bytes, { ignoreErrors: true, untilTag: PIXEL_DATA, noCopy: true });
    return { meta: parsed.meta, dict: parsed.dict, transferSyntaxUid };
  } catch {
    throw new DicomParseError(DicomParseErrorCode.Malformed, 'data set could not be decoded');
  }
}

function firstValue(dict: DcmjsDict, tag: string): unknown {
  const v = dict[tag]?.Value;
  return Array.isArray(v) && v.length > 0 ? v[0] : undefined;
}

function text(dict: DcmjsDict, tag: string, max: number): string | undefined {
  const v = firstValue(dict, tag);
  if (typeof v !== 'string' && typeof v !== 'number') return undefined;
  const s = String(v).replace(/\0/g, '').trim();
  return s ? s.slice(0, max) : undefined;
}

function integer(dict: DcmjsDict, tag: string): number | undefined {
  const v = Number(firstValue(dict, tag));
  return Number.isSafeInteger(v) ? v : undefined;
}

function personName(dict: DcmjsDict, tag: string): string | undefined {
  const v = firstValue(dict, tag);
  const raw = typeof v === 'string' ? v : v && typeof v === 'object' ? (v as { Alphabetic?: unknown }).Alphabetic : undefined;
  if (typeof raw !== 'string') return undefined;
  const s = raw.replace(/\0/g, '').trim();
  return s ? s.slice(0, 324) : undefined;
}

function sex(dict: DcmjsDict): Patient['sex'] {
  const v = text(dict, '00100040', 16)?.toUpperCase();
  return v === 'M' || v === 'F' || v === 'O' ? v : undefined;
}

/**
 * Parses a Part 10 buffer into the instance metadata the mesh needs. Throws DicomParseError (no PHI in
 * the message) for bytes that are not DICOM, have no transfer syntax, are truncated or lack valid UIDs.
 */
export function parsePart10(buf: Buffer): ParsedInstance {
  const { meta, dict, transferSyntaxUid } = readDataset(buf);
  const sopInstanceUid = requireDicomUid(firstValue(dict, '00080018') ?? firstValue(meta, '00020003'), 'SOPInstanceUID');
  const sopClassUid = requireDicomUid(firstValue(dict, '00080016') ?? firstValue(meta, '00020002'), 'SOPClassUID');
  const patient: Patient = {
    id: text(dict, '00100020', 64),
    issuer: text(dict, '00100021', 64),
    name: personName(dict, '00100010'),
    birthDate: dicomDateToIso(firstValue(dict, '00100030')),
    sex: sex(dict),
  };
  return {
    studyInstanceUid: requireDicomUid(firstValue(dict, '0020000D'), 'StudyInstanceUID'),
    seriesInstanceUid: requireDicomUid(firstValue(dict, '0020000E'), 'SeriesInstanceUID'),
    sopInstanceUid,
    sopClassUid,
    transferSyntaxUid: requireDicomUid(transferSyntaxUid, 'TransferSyntaxUID'),
    modality: text(dict, '00080060', 16),
    bodyPart: text(dict, '00180015', 16),
    instanceNumber: integer(dict, '00200013'),
    seriesNumber: integer(dict, '00200011'),
    seriesDescription: text(dict, '0008103E', 64),
    studyDate: dicomDateToIso(firstValue(dict, '00080020')),
    studyTime: text(dict, '00080030', 16),
    studyDescription: text(dict, '00081030', 64),
    accessionNumber: text(dict, '00080050', 16),
    patient: Object.fromEntries(Object.entries(patient).filter(([, v]) => v !== undefined)) as Patient,
  };
}
