// The facade silences dcmjs's console logging (it would print values of odd input).
import '../dcmjs.facade';
import { checkPart10Structure } from '../dicom-structure';
import { DicomParseError, DicomParseErrorCode } from '../dicom-parse.exception';
import { requireDicomUid } from '../dicom-uid';
import { actionFor, BASIC_PROFILE_CODE } from './basic-profile';

interface El {
  vr: string;
  Value?: unknown[];
}
type Dict = Record<string, El>;

interface DcmjsWriterApi {
  data: {
    DicomMessage: { readFile(buffer: ArrayBuffer, options?: { ignoreErrors?: boolean }): { meta: Dict; dict: Dict } };
    DicomDict: new (meta: Dict) => { dict: Dict; write(): ArrayBuffer };
  };
}
// dcmjs ships no type declarations; this types the read/write calls de-identification uses.
const dcmjs = require('dcmjs') as DcmjsWriterApi;

/** Pseudonyms the mesh keeps (reversibly); calls create one on first use. */
export interface PseudonymSource {
  /** The replacement for a UID (the same every time for the same UID). */
  uid(original: string): string;
  /** The pseudonym of a patient, used as PatientID and PatientName. */
  patient(patientId: string | undefined, issuer: string | undefined): string;
}

export type DeidOutcome =
  | { kind: 'deidentified'; file: Buffer; studyInstanceUid: string; seriesInstanceUid: string; sopInstanceUid: string }
  | { kind: 'held-back'; reason: 'burned-in-annotation' | 'burned-in-annotation-unknown' };

/** Secondary Capture image storage classes: screen grabs, often with burned-in text. */
const SECONDARY_CAPTURE = /^1\.2\.840\.10008\.5\.1\.4\.1\.1\.7(\.\d)?$/;

const first = (d: Dict, tag: string): unknown => d[tag]?.Value?.[0];
const text = (d: Dict, tag: string): string | undefined => {
  const v = first(d, tag);
  return typeof v === 'string' && v.trim() ? v.trim() : undefined;
};

/**
 * De-identifies a Part 10 instance with the PS3.15 Basic Application Level Confidentiality Profile: the
 * actions of `basic-profile.ts`, UIDs and the patient replaced by the mesh's pseudonyms (reversible through
 * the map behind `pseudonyms`), (0012,0062) YES, (0012,0063) and (0012,0064) naming the profile,
 * (0028,0303) REMOVED. An instance with burned-in annotation (0028,0301 YES, or absent on a Secondary
 * Capture) is held back: the profile without the Clean Pixel Data option cannot make it safe.
 */
export function deidentifyPart10(buf: Buffer, pseudonyms: PseudonymSource): DeidOutcome {
  checkPart10Structure(buf);
  let parsed: { meta: Dict; dict: Dict };
  try {
    parsed = dcmjs.data.DicomMessage.readFile(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length) as ArrayBuffer, { ignoreErrors: true });
  } catch {
    throw new DicomParseError(DicomParseErrorCode.Malformed, 'data set could not be decoded');
  }
  const { meta, dict } = parsed;
  const burnedIn = text(dict, '00280301')?.toUpperCase();
  if (burnedIn === 'YES') return { kind: 'held-back', reason: 'burned-in-annotation' };
  if (burnedIn === undefined && SECONDARY_CAPTURE.test(text(dict, '00080016') ?? '')) return { kind: 'held-back', reason: 'burned-in-annotation-unknown' };
  const patient = pseudonyms.patient(text(dict, '00100020'), text(dict, '00100021'));
  const ids = {
    studyInstanceUid: pseudonyms.uid(requireDicomUid(first(dict, '0020000D'), 'StudyInstanceUID')),
    seriesInstanceUid: pseudonyms.uid(requireDicomUid(first(dict, '0020000E'), 'SeriesInstanceUID')),
    sopInstanceUid: pseudonyms.uid(requireDicomUid(first(dict, '00080018'), 'SOPInstanceUID')),
  };
  clean(dict, pseudonyms, patient);
  dict['00120062'] = { vr: 'CS', Value: ['YES'] };
  dict['00120063'] = { vr: 'LO', Value: ['DICOM PS3.15 E.1 Basic Profile'] };
  dict['00120064'] = {
    vr: 'SQ',
    Value: [{ '00080100': { vr: 'SH', Value: [BASIC_PROFILE_CODE.CodeValue] }, '00080102': { vr: 'SH', Value: [BASIC_PROFILE_CODE.CodingSchemeDesignator] }, '00080104': { vr: 'LO', Value: [BASIC_PROFILE_CODE.CodeMeaning] } }],
  };
  dict['00280303'] = { vr: 'CS', Value: ['REMOVED'] };
  const newMeta: Dict = { ...meta, '00020003': { vr: 'UI', Value: [ids.sopInstanceUid] } };
  delete newMeta['00020016']; // SourceApplicationEntityTitle names the sender
  const out = new dcmjs.data.DicomDict(newMeta);
  out.dict = dict;
  return { kind: 'deidentified', file: Buffer.from(out.write()), ...ids };
}

/** Applies the profile to a data set and, recursively, to the items of its sequences (mutating it). */
function clean(dict: Dict, pseudonyms: PseudonymSource, patient: string): void {
  for (const tag of Object.keys(dict)) {
    const el = dict[tag];
    const values = Array.isArray(el.Value) ? el.Value : [];
    switch (actionFor(tag, el.vr, values[0])) {
      case 'X':
        delete dict[tag];
        break;
      case 'Z':
        dict[tag] = { vr: el.vr, Value: [] };
        break;
      case 'U':
        dict[tag] = { vr: el.vr, Value: values.map((v) => (typeof v === 'string' && v ? pseudonyms.uid(v.replace(/\0+$/, '').trim()) : v)) };
        break;
      case 'P':
        dict[tag] = el.vr === 'PN' ? { vr: 'PN', Value: [{ Alphabetic: patient }] } : { vr: el.vr, Value: [patient] };
        break;
      case 'K':
        if (el.vr === 'SQ') for (const item of values) clean(item as Dict, pseudonyms, patient);
        break;
    }
  }
}
