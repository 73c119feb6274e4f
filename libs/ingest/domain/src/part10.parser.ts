import { TextDecoder } from 'node:util';
import type { Patient } from '@triage/contracts';
import { dcmjs, type DcmjsDict } from './dcmjs.facade';
import { dicomDateToIso } from './dicom-date';
import { DicomParseError, DicomParseErrorCode } from './dicom-parse.exception';
import { checkPart10Structure, type Part10Structure } from './dicom-structure';
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
export function readDataset(buf: Buffer, checked?: Part10Structure): { meta: DcmjsDict; dict: DcmjsDict; transferSyntaxUid: string } {
  const { transferSyntaxUid, pixelDataOffset } = checked ?? checkPart10Structure(buf);
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

/** The first value of an element, as dcmjs presents it (a string or number; PN as { Alphabetic }). */
type FirstValue = (tag: string) => unknown;

function dcmjsFirst(dict: DcmjsDict): FirstValue {
  return (tag) => {
    const v = dict[tag]?.Value;
    return Array.isArray(v) && v.length > 0 ? v[0] : undefined;
  };
}

/** The data set elements parsePart10 reads (all top level). */
const WANTED = {
  specificCharacterSet: '00080005',
  sopInstanceUid: '00080018',
  sopClassUid: '00080016',
  studyInstanceUid: '0020000D',
  seriesInstanceUid: '0020000E',
  patientId: '00100020',
  issuer: '00100021',
  patientName: '00100010',
  birthDate: '00100030',
  sex: '00100040',
  modality: '00080060',
  bodyPart: '00180015',
  instanceNumber: '00200013',
  seriesNumber: '00200011',
  seriesDescription: '0008103E',
  studyDate: '00080020',
  studyTime: '00080030',
  studyDescription: '00081030',
  accessionNumber: '00080050',
} as const;
/** The file meta elements it falls back to for the SOP UIDs. */
const META = { sopInstanceUid: '00020003', sopClassUid: '00020002' } as const;
const WANTED_TAGS: ReadonlySet<number> = new Set(Object.values(WANTED).map((t) => parseInt(t, 16)));
const UID_TAGS = new Set<string>([WANTED.sopInstanceUid, WANTED.sopClassUid, WANTED.studyInstanceUid, WANTED.seriesInstanceUid, META.sopInstanceUid, META.sopClassUid]);

/**
 * Character sets the fast path decodes exactly as dcmjs does (dcmjs maps them to these WHATWG decoders and
 * uses only the first value); any other Specific Character Set is read by dcmjs itself.
 */
const FAST_DECODERS: Record<string, TextDecoder> = {
  '': new TextDecoder('latin1'),
  'iso-ir-6': new TextDecoder('latin1'),
  'iso-ir-100': new TextDecoder('latin1'),
  'iso-2022-ir-6': new TextDecoder('latin1'),
  'iso-2022-ir-100': new TextDecoder('latin1'),
  'iso-ir-192': new TextDecoder('utf-8'),
};

/**
 * The values parsePart10 needs, read from the spans the structure walk recorded: the same first values
 * dcmjs gives for these VRs (UI, CS, SH, LO, PN, DA, TM, IS), without dcmjs decoding the whole header.
 * Undefined when the character set is one only dcmjs decodes.
 */
function spanFirst(buf: Buffer, structure: Part10Structure): FirstValue | undefined {
  const at = (tag: string) => (tag.startsWith('0002') ? structure.metaValues : structure.values).get(parseInt(tag, 16));
  const raw = (tag: string, decoder: TextDecoder) => {
    const span = at(tag);
    return span && decoder.decode(buf.subarray(span[0], span[0] + span[1]));
  };
  const charset = raw(WANTED.specificCharacterSet, FAST_DECODERS[''])?.replace(/[\0 ]+$/, '');
  if (charset?.includes('\\')) return undefined;
  const decoder = FAST_DECODERS[(charset ?? '').trim().replace(/[_ ]/g, '-').toLowerCase()];
  if (!decoder) return undefined;
  return (tag) => {
    const text = raw(tag, UID_TAGS.has(tag) ? FAST_DECODERS[''] : decoder);
    if (text === undefined) return undefined;
    const first = text.split('\\')[0].replace(UID_TAGS.has(tag) ? /[\0 ]+$/ : /[ \0]+$/, '');
    if (tag === WANTED.patientName) return { Alphabetic: first.split('=')[0] };
    if (tag === WANTED.instanceNumber || tag === WANTED.seriesNumber) return Number(first);
    return text.length === 0 ? undefined : first;
  };
}

function text(first: FirstValue, tag: string, max: number): string | undefined {
  const v = first(tag);
  if (typeof v !== 'string' && typeof v !== 'number') return undefined;
  const s = String(v).replace(/\0/g, '').trim();
  return s ? s.slice(0, max) : undefined;
}

function integer(first: FirstValue, tag: string): number | undefined {
  const v = Number(first(tag));
  return Number.isSafeInteger(v) ? v : undefined;
}

function personName(first: FirstValue, tag: string): string | undefined {
  const v = first(tag);
  const raw = typeof v === 'string' ? v : v && typeof v === 'object' ? (v as { Alphabetic?: unknown }).Alphabetic : undefined;
  if (typeof raw !== 'string') return undefined;
  const s = raw.replace(/\0/g, '').trim();
  return s ? s.slice(0, 324) : undefined;
}

function sex(first: FirstValue): Patient['sex'] {
  const v = text(first, WANTED.sex, 16)?.toUpperCase();
  return v === 'M' || v === 'F' || v === 'O' ? v : undefined;
}

/**
 * Parses a Part 10 buffer into the instance metadata the mesh needs. Throws DicomParseError (no PHI in
 * the message) for bytes that are not DICOM, have no transfer syntax, are truncated or lack valid UIDs.
 * The structure walk checks the whole file and records where the wanted elements are; their values are
 * read from there when the character set is one dcmjs decodes with a plain decoder (the same values, see
 * part10.parser.spec.ts), else dcmjs reads the header (`useDcmjs` forces that path).
 */
export function parsePart10(buf: Buffer, opts: { useDcmjs?: boolean } = {}): ParsedInstance {
  const structure = checkPart10Structure(buf, WANTED_TAGS);
  const fast = opts.useDcmjs ? undefined : spanFirst(buf, structure);
  if (fast) return instanceFrom(fast, fast, structure.transferSyntaxUid);
  const { meta, dict, transferSyntaxUid } = readDataset(buf, structure);
  return instanceFrom(dcmjsFirst(dict), dcmjsFirst(meta), transferSyntaxUid);
}

function instanceFrom(first: FirstValue, metaFirst: FirstValue, transferSyntaxUid: string): ParsedInstance {
  const sopInstanceUid = requireDicomUid(first(WANTED.sopInstanceUid) ?? metaFirst(META.sopInstanceUid), 'SOPInstanceUID');
  const sopClassUid = requireDicomUid(first(WANTED.sopClassUid) ?? metaFirst(META.sopClassUid), 'SOPClassUID');
  const patient: Patient = {
    id: text(first, WANTED.patientId, 64),
    issuer: text(first, WANTED.issuer, 64),
    name: personName(first, WANTED.patientName),
    birthDate: dicomDateToIso(first(WANTED.birthDate)),
    sex: sex(first),
  };
  return {
    studyInstanceUid: requireDicomUid(first(WANTED.studyInstanceUid), 'StudyInstanceUID'),
    seriesInstanceUid: requireDicomUid(first(WANTED.seriesInstanceUid), 'SeriesInstanceUID'),
    sopInstanceUid,
    sopClassUid,
    transferSyntaxUid: requireDicomUid(transferSyntaxUid, 'TransferSyntaxUID'),
    modality: text(first, WANTED.modality, 16),
    bodyPart: text(first, WANTED.bodyPart, 16),
    instanceNumber: integer(first, WANTED.instanceNumber),
    seriesNumber: integer(first, WANTED.seriesNumber),
    seriesDescription: text(first, WANTED.seriesDescription, 64),
    studyDate: dicomDateToIso(first(WANTED.studyDate)),
    studyTime: text(first, WANTED.studyTime, 16),
    studyDescription: text(first, WANTED.studyDescription, 64),
    accessionNumber: text(first, WANTED.accessionNumber, 16),
    patient: Object.fromEntries(Object.entries(patient).filter(([, v]) => v !== undefined)) as Patient,
  };
}
