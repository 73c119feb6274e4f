// Test fixture (not exported): the DICOM items of BAD-INPUTS.md sections 1-8 as Part 10 files, each with
// the answer the mesh owes it. STOW-RS sends the files; C-STORE sends their data sets.
import { writePart10 } from '@triage/samples';

export type BadAnswer = 'cannot-understand' | 'stored';

export interface BadInstance {
  /** BAD-INPUTS item number and what is wrong. */
  name: string;
  file: Buffer;
  /** SOP Instance UID the C-STORE command names (the file's, however bad). */
  sopInstanceUid: string;
  sopClassUid: string;
  answer: BadAnswer;
  /** Only meaningful as a file (file meta problems): C-STORE carries no file meta. */
  fileOnly?: boolean;
}

const SC = '1.2.840.10008.5.1.4.1.1.7';
let counter = 0;

function instance(overrides: Record<string, unknown> = {}): { file: Buffer; sop: string } {
  counter++;
  // Distinct first digits: no UID is a prefix of another (replaceUi relies on it).
  const base = `${process.pid}${Date.now()}${counter}`;
  const sop = `2.25.1${base}`;
  const file = writePart10({
    SOPClassUID: SC,
    SOPInstanceUID: sop,
    StudyInstanceUID: `2.25.2${base}`,
    SeriesInstanceUID: `2.25.3${base}`,
    Modality: 'OT',
    PatientID: 'BAD-PAT-77',
    PatientName: 'BADINPUT^PATIENT',
    ...overrides,
  });
  return { file, sop };
}

function explicitElement(group: number, element: number, vr: string, value: Buffer, declaredLength?: number): Buffer {
  const long = ['OB', 'OW', 'SQ', 'UN', 'UT'].includes(vr);
  const head = Buffer.alloc(long ? 12 : 8);
  head.writeUInt16LE(group, 0);
  head.writeUInt16LE(element, 2);
  head.write(vr, 4, 'latin1');
  if (long) head.writeUInt32LE(declaredLength ?? value.length, 8);
  else head.writeUInt16LE(declaredLength ?? value.length, 6);
  return Buffer.concat([head, value]);
}

/**
 * Rewrites every UI value `from` (meta and data set) to `to`, fixing the element lengths and the meta group
 * length: dcmjs would clip or refuse such a UID on write.
 */
function replaceUi(file: Buffer, from: string, to: string): Buffer {
  const padded = (v: string) => Buffer.from(v.length % 2 ? `${v}\0` : v, 'latin1');
  const a = padded(from);
  const b = padded(to);
  let out = file;
  for (let at = out.indexOf(a); at >= 0; at = out.indexOf(a, at + b.length)) {
    if (out.toString('latin1', at - 4, at - 2) !== 'UI') continue;
    const head = Buffer.from(out.subarray(0, at));
    head.writeUInt16LE(b.length, at - 2);
    if (at < 144 + head.readUInt32LE(140)) head.writeUInt32LE(head.readUInt32LE(140) + b.length - a.length, 140);
    out = Buffer.concat([head, b, out.subarray(at + a.length)]);
  }
  return out;
}

function withSopInstanceUid(uid: string): { file: Buffer; sop: string } {
  const { file, sop } = instance();
  return { file: replaceUi(file, sop, uid), sop: uid };
}

/** Every bad DICOM input with its expected answer. */
export function badInstances(): BadInstance[] {
  const out: BadInstance[] = [];
  const add = (name: string, x: { file: Buffer; sop: string }, answer: BadAnswer, fileOnly = false) =>
    out.push({ name, file: x.file, sopInstanceUid: x.sop, sopClassUid: SC, answer, ...(fileOnly ? { fileOnly } : {}) });

  const base = instance();
  add('1: no DICM preamble', { file: base.file.subarray(128), sop: base.sop }, 'cannot-understand', true);
  const noLength = instance();
  add('1: no (0002,0000) group length', { file: Buffer.concat([noLength.file.subarray(0, 132), noLength.file.subarray(144)]), sop: noLength.sop }, 'cannot-understand', true);
  const noTs = instance();
  add('1: garbled file meta (no transfer syntax)', { file: Buffer.from(noTs.file).fill(0x20, 160, 200), sop: noTs.sop }, 'cannot-understand', true);

  const cut = instance();
  add('2: truncated mid-element', { file: cut.file.subarray(0, cut.file.length - 5), sop: cut.sop }, 'cannot-understand');
  const stray = instance();
  add('2: (FFFE,E0DD) where an element belongs', { file: Buffer.concat([stray.file, Buffer.from([0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0])]), sop: stray.sop }, 'cannot-understand');
  const open = instance();
  // An undefined-length sequence holding an explicit-length item, never closed by (FFFE,E0DD).
  const item = Buffer.concat([Buffer.from([0xfe, 0xff, 0x00, 0xe0, 8, 0, 0, 0]), explicitElement(0x0008, 0x0100, 'SH', Buffer.from('CODE01'))]);
  add('2: undefined-length sequence never delimited', { file: Buffer.concat([open.file, explicitElement(0x0040, 0xa730, 'SQ', item, 0xffffffff)]), sop: open.sop }, 'cannot-understand');

  const huge = instance();
  add('3: element length 0xFFFFFFFE in a small file', { file: Buffer.concat([huge.file, explicitElement(0x0009, 0x1010, 'OB', Buffer.alloc(16), 0xfffffffe)]), sop: huge.sop }, 'cannot-understand');

  // A JPEG 2000 frame header claiming 65535x65535: ingest stores pixel data as sent and never decodes it.
  const j2k = instance({ Rows: 65535, Columns: 65535, BitsAllocated: 16, BitsStored: 16, HighBit: 15, PixelRepresentation: 0, SamplesPerPixel: 1, PhotometricInterpretation: 'MONOCHROME2' });
  const siz = Buffer.from([0xff, 0x4f, 0xff, 0x51, 0, 41, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0xff, 0xff]);
  const fragments = Buffer.concat([
    Buffer.from([0xe0, 0x7f, 0x10, 0x00]), Buffer.from('OB'), Buffer.alloc(2), Buffer.from([0xff, 0xff, 0xff, 0xff]),
    Buffer.from([0xfe, 0xff, 0x00, 0xe0, 0, 0, 0, 0]),
    Buffer.from([0xfe, 0xff, 0x00, 0xe0, siz.length, 0, 0, 0]), siz,
    Buffer.from([0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0]),
  ]);
  add('4: JPEG 2000 frame claiming 65535x65535', { file: replaceUi(Buffer.concat([j2k.file, fragments]), '1.2.840.10008.1.2.1', '1.2.840.10008.1.2.4.90'), sop: j2k.sop }, 'stored', true);

  add('5: SOP Instance UID ../../x', withSopInstanceUid('../../x'), 'cannot-understand');
  add('5: SOP Instance UID of 65 characters', withSopInstanceUid(`1.2.${'3'.repeat(61)}`), 'cannot-understand');

  add('8: ISO 2022 escapes in (0008,0005)', instance({ SpecificCharacterSet: ['', 'ISO 2022 IR 87'], PatientName: 'ﾔﾏﾀﾞ^ﾀﾛｳ=\x1b$B;3ED\x1b(B^\x1b$BB@O:\x1b(B' }), 'stored');
  const utf8 = instance({ SpecificCharacterSet: 'ISO_IR 192', PatientName: 'QQQQ^ZZZZ' });
  const at = utf8.file.indexOf(Buffer.from('QQQQ^ZZZZ'));
  Buffer.from([0xc3, 0x28, 0xff, 0xfe]).copy(utf8.file, at);
  add('8: invalid UTF-8 in PN', utf8, 'stored');
  add('8: DA 20250230', instance({ StudyDate: '20250230', PatientBirthDate: '20250230' }), 'stored');
  add('8: NaN in DS', instance({ SliceThickness: 'NaN', PixelSpacing: ['NaN', '1'] }), 'stored');
  add('8: burned-in annotation YES', instance({ BurnedInAnnotation: 'YES' }), 'stored');
  return out;
}

/** A Part 10 instance that is fine, for "the next good request" (fresh UIDs each call). */
export function goodInstance(): { file: Buffer; sopInstanceUid: string; sopClassUid: string } {
  const { file, sop } = instance();
  return { file, sopInstanceUid: sop, sopClassUid: SC };
}

/** A deflated Part 10 file (BAD-INPUTS 4): refused, never inflated. */
export function deflatedInstance(): { file: Buffer; sopInstanceUid: string } {
  const { file, sop } = instance();
  return { file: replaceUi(file, '1.2.840.10008.1.2.1', '1.2.840.10008.1.2.1.99'), sopInstanceUid: sop };
}
