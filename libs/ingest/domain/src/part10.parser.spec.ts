import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateChestXrayStudy, generateHeadCtStudy, writePart10 } from '@triage/samples';
import { describeWithSharedData, sharedDataDir } from '@triage/testing';
import { DicomParseError, DicomParseErrorCode as Code } from './dicom-parse.exception';
import { dcmjs } from './dcmjs.facade';
import { parsePart10, readDataset } from './part10.parser';

const DATA = join(sharedDataDir(), 'dicom');
const REAL_FILES = ['CT_small.dcm', 'MR_small.dcm', 'MR_small_implicit.dcm', 'MR_small_bigendian.dcm', 'MR_small_RLE.dcm', 'JPEG-lossy.dcm', 'cxr_nih_1024.dcm'];

function expectCode(fn: () => unknown, code: Code): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(DicomParseError);
  expect((caught as DicomParseError).code).toBe(code);
}

function minimal(overrides: Record<string, unknown> = {}): Buffer {
  return writePart10({
    SOPClassUID: '1.2.840.10008.5.1.4.1.1.7',
    SOPInstanceUID: '2.25.11',
    StudyInstanceUID: '2.25.12',
    SeriesInstanceUID: '2.25.13',
    Modality: 'OT',
    PatientID: 'PAT-1',
    PatientName: 'TEST^PATIENT',
    ...overrides,
  });
}

/** Appends an explicit VR little endian UI element (dcmjs itself would clip a long UID on write). */
function withUiElement(file: Buffer, group: number, element: number, value: string): Buffer {
  const padded = value.length % 2 ? `${value}\0` : value;
  const el = Buffer.alloc(8 + padded.length);
  el.writeUInt16LE(group, 0);
  el.writeUInt16LE(element, 2);
  el.write('UI', 4, 'latin1');
  el.writeUInt16LE(padded.length, 6);
  el.write(padded, 8, 'latin1');
  return Buffer.concat([file, el]);
}

/** Offset of the first element with this (group, element) in explicit VR little endian. */
function findTag(buf: Buffer, group: number, element: number, from = 132): number {
  const needle = Buffer.alloc(4);
  needle.writeUInt16LE(group, 0);
  needle.writeUInt16LE(element, 2);
  return buf.indexOf(needle, from);
}

describe('parsePart10', () => {
  it('reads the phantom head CT', () => {
    const study = generateHeadCtStudy({ haemorrhage: true, seed: 1 });
    const p = parsePart10(study.files[3]);
    expect(p).toMatchObject({
      studyInstanceUid: study.studyInstanceUid,
      sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
      transferSyntaxUid: '1.2.840.10008.1.2.1',
      modality: 'CT',
      bodyPart: 'HEAD',
      instanceNumber: 4,
      studyDate: '2025-03-01',
      studyDescription: 'CT HEAD WO CONTRAST',
      accessionNumber: study.accessionNumber,
      patient: { id: 'DEMO-0001', name: 'DEMO^HEAD BLEED', birthDate: '1958-04-12', sex: 'M' },
    });
  });

  it.each([
    ['CT_small.dcm', '1.2.840.10008.1.2.1', 'CT'],
    ['MR_small.dcm', '1.2.840.10008.1.2.1', 'MR'],
    ['MR_small_implicit.dcm', '1.2.840.10008.1.2', 'MR'],
    ['MR_small_bigendian.dcm', '1.2.840.10008.1.2.2', 'MR'],
    ['MR_small_RLE.dcm', '1.2.840.10008.1.2.5', 'MR'],
    ['JPEG-lossy.dcm', '1.2.840.10008.1.2.4.51', 'NM'],
    ['cxr_nih_1024.dcm', '1.2.840.10008.1.2', 'DX'],
  ])('reads the real file %s', (file, ts, modality) => {
    const p = parsePart10(readFileSync(join(DATA, file)));
    expect(p.transferSyntaxUid).toBe(ts);
    expect(p.modality).toBe(modality);
    expect(p.studyInstanceUid).toMatch(/^[0-9.]+$/);
    expect(p.sopInstanceUid).toMatch(/^[0-9.]+$/);
  });

  // readDataset gives dcmjs only the bytes before Pixel Data: it must read what dcmjs reads from the whole file.
  it.each(['CT_small.dcm', 'MR_small.dcm', 'MR_small_implicit.dcm', 'MR_small_bigendian.dcm', 'MR_small_RLE.dcm', 'JPEG-lossy.dcm', 'cxr_nih_1024.dcm', 'phantom'])(
    'reads the same elements as dcmjs on the whole file: %s',
    (file) => {
      const bytes = file === 'phantom' ? generateHeadCtStudy({ haemorrhage: true, seed: 2 }).files[1] : readFileSync(join(DATA, file));
      // Also inside a larger allocation (a Buffer with a byteOffset, as a pooled read gives).
      const inside = Buffer.concat([Buffer.alloc(37), bytes, Buffer.alloc(11)]).subarray(37, 37 + bytes.length);
      const whole = dcmjs.data.DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer, { ignoreErrors: true, untilTag: '7FE00010', noCopy: true });
      const expected = { ...whole.dict };
      delete expected['7FE00010'];
      for (const buf of [bytes, inside]) {
        const { meta, dict } = readDataset(buf);
        expect(JSON.parse(JSON.stringify(dict))).toEqual(JSON.parse(JSON.stringify(expected)));
        expect(JSON.parse(JSON.stringify(meta))).toEqual(JSON.parse(JSON.stringify(whole.meta)));
        expect(parsePart10(buf)).toEqual(parsePart10(Buffer.from(bytes)));
      }
      expect(Object.keys(expected).length).toBeGreaterThan(10);
    },
  );

  it('still refuses a Pixel Data length one byte beyond the file, or bytes after it that are no element', () => {
    const file = Buffer.from(minimal({ PixelData: new Uint8Array(64).buffer, _vrMap: { PixelData: 'OB' } }));
    const at = findTag(file, 0x7fe0, 0x0010);
    const lying = Buffer.from(file);
    lying.writeUInt32LE(lying.readUInt32LE(at + 8) + 1, at + 8);
    expectCode(() => parsePart10(lying), Code.Truncated);
    expectCode(() => parsePart10(Buffer.concat([file, Buffer.from([0xfc, 0xff, 0xfc])])), Code.Truncated);
    expectCode(() => parsePart10(file.subarray(0, at + 6)), Code.Truncated);
    expect(parsePart10(file).sopInstanceUid).toBe('2.25.11');
  });

  it('rejects bytes without the DICM preamble (BAD-INPUTS 1)', () => {
    expectCode(() => parsePart10(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')), Code.NotDicom);
    expectCode(() => parsePart10(Buffer.alloc(0)), Code.NotDicom);
    const noPreamble = minimal().subarray(132);
    expectCode(() => parsePart10(noPreamble), Code.NotDicom);
  });

  it('rejects a file meta without group length or transfer syntax (BAD-INPUTS 1)', () => {
    const noGroupLength = Buffer.from(minimal());
    noGroupLength.writeUInt16LE(0x0001, 134); // (0002,0000) becomes (0002,0001)
    expectCode(() => parsePart10(noGroupLength), Code.NoFileMeta);
    const noTs = Buffer.from(minimal());
    noTs.writeUInt16LE(0x0011, findTag(noTs, 0x0002, 0x0010) + 2);
    expectCode(() => parsePart10(noTs), Code.NoTransferSyntax);
  });

  it('rejects a truncated file wherever it is cut (BAD-INPUTS 2)', () => {
    const file = generateHeadCtStudy({ haemorrhage: false, slices: 1 }).files[0];
    for (const cut of [131, 200, 300, 600, file.length - 1000, file.length - 1]) {
      expectCode(() => parsePart10(file.subarray(0, cut)), cut < 132 ? Code.NotDicom : Code.Truncated);
    }
  });

  it('rejects a declared element length of 0xFFFFFFFE in a small file (BAD-INPUTS 3)', () => {
    const file = Buffer.from(minimal({ PixelData: new Uint8Array(64).buffer, _vrMap: { PixelData: 'OB' } }));
    const at = findTag(file, 0x7fe0, 0x0010);
    file.writeUInt32LE(0xfffffffe, at + 8);
    expectCode(() => parsePart10(file), Code.Truncated);
  });

  it('rejects a sequence delimiter where an element belongs (BAD-INPUTS 2)', () => {
    const file = Buffer.from(minimal());
    const at = findTag(file, 0x0010, 0x0010);
    file.writeUInt16LE(0xfffe, at);
    file.writeUInt16LE(0xe0dd, at + 2);
    expectCode(() => parsePart10(file), Code.Malformed);
  });

  it('rejects the deflated transfer syntax rather than inflating it (BAD-INPUTS 4)', () => {
    const file = writePart10({ SOPClassUID: '1.2.3', SOPInstanceUID: '2.25.1', StudyInstanceUID: '2.25.2', SeriesInstanceUID: '2.25.3' }, '1.2.840.10008.1.2.1.99');
    expectCode(() => parsePart10(file), Code.UnsupportedTransferSyntax);
  });

  it('rejects UIDs that could escape a path or exceed 64 characters (BAD-INPUTS 5)', () => {
    expectCode(() => parsePart10(minimal({ SOPInstanceUID: '../../x' })), Code.InvalidUid);
    expectCode(() => parsePart10(minimal({ StudyInstanceUID: '../../x' })), Code.InvalidUid);
    const longUid = `1.2.${'3'.repeat(61)}`;
    expect(longUid.length).toBe(65);
    expectCode(() => parsePart10(withUiElement(minimal({ SeriesInstanceUID: undefined }), 0x0020, 0x000e, longUid)), Code.InvalidUid);
    expect(parsePart10(withUiElement(minimal({ SeriesInstanceUID: undefined }), 0x0020, 0x000e, longUid.slice(0, 64))).seriesInstanceUid).toHaveLength(64);
    expectCode(() => parsePart10(minimal({ StudyInstanceUID: undefined })), Code.MissingAttribute);
  });

  it('drops an impossible DA such as 20250230 and keeps a real one (BAD-INPUTS 8)', () => {
    const bad = parsePart10(minimal({ StudyDate: '20250230', PatientBirthDate: '19991332' }));
    expect(bad.studyDate).toBeUndefined();
    expect(bad.patient.birthDate).toBeUndefined();
    expect(bad.patient.id).toBe('PAT-1');
    const good = parsePart10(minimal({ StudyDate: '20240229', PatientBirthDate: '19991231' }));
    expect(good.studyDate).toBe('2024-02-29');
    expect(good.patient.birthDate).toBe('1999-12-31');
  });

  it('keeps error messages free of attribute values', () => {
    try {
      parsePart10(minimal({ SOPInstanceUID: '../../SECRET-NAME' }));
    } catch (err) {
      expect((err as Error).message).not.toContain('SECRET');
    }
    expect.assertions(1);
  });
});

// parsePart10 reads its values from the structure walk's spans when the character set allows; the answer
// must be the one dcmjs gives (useDcmjs), whatever the syntax, padding, multiplicity or character set.
describe('parsePart10 without dcmjs: the same answer as with it', () => {
  const same = (buf: Buffer) => expect(parsePart10(buf)).toEqual(parsePart10(buf, { useDcmjs: true }));

  it('on the phantoms (explicit and implicit VR)', () => {
    for (const f of [...generateHeadCtStudy({ haemorrhage: true, slices: 3, seed: 4 }).files, ...generateChestXrayStudy({ seed: 4 }).files]) same(f);
    same(minimal({}));
    same(writePart10({ ...JSON.parse(JSON.stringify({})), SOPClassUID: '1.2.840.10008.5.1.4.1.1.7', SOPInstanceUID: '2.25.31', StudyInstanceUID: '2.25.32', SeriesInstanceUID: '2.25.33', Modality: 'OT' }, '1.2.840.10008.1.2'));
  });

  it.each([
    ['no character set', {}],
    ['ISO_IR 100', { SpecificCharacterSet: 'ISO_IR 100', PatientName: 'M\u00fcller^J\u00fcrgen', StudyDescription: 'Sch\u00e4del nativ' }],
    ['ISO_IR 192 with an ideographic name', { SpecificCharacterSet: 'ISO_IR 192', PatientName: 'Yamada^Tarou=\u5c71\u7530^\u592a\u90ce', StudyDescription: '\u982d\u90e8 CT' }],
    ['ISO 2022 IR 87 (dcmjs reads it)', { SpecificCharacterSet: ['', 'ISO 2022 IR 87'], PatientName: 'Yamada^Tarou' }],
    ['several values and odd lengths', { StudyDescription: ['FIRST', 'SECOND'], PatientID: 'ODD', AccessionNumber: 'A1', BodyPartExamined: 'HEAD', InstanceNumber: '7', SeriesNumber: 12 }],
    ['empty and blank values', { StudyDescription: '', PatientID: ' ', AccessionNumber: '', InstanceNumber: '' }],
    ['dates, times and sex', { StudyDate: '20261201', StudyTime: '221500.123', PatientBirthDate: '19700101', PatientSex: 'f', IssuerOfPatientID: 'HOSP' }],
  ])('%s', (_name, extra) => {
    for (const ts of ['1.2.840.10008.1.2.1', '1.2.840.10008.1.2', '1.2.840.10008.1.2.2']) {
      const file = writePart10(
        { SOPClassUID: '1.2.840.10008.5.1.4.1.1.7', SOPInstanceUID: '2.25.41', StudyInstanceUID: '2.25.42', SeriesInstanceUID: '2.25.43', Modality: 'OT', PatientName: 'TEST^PATIENT', ...extra },
        ts,
      );
      same(file);
    }
  });

  it('falls back to dcmjs for the SOP UIDs of the file meta group when the data set lacks them', () => {
    // (0008,0018) renamed to a private (0009,0018): only the meta group's (0002,0003) names the instance.
    const file = Buffer.from(minimal());
    file.writeUInt16LE(0x0009, findTag(file, 0x0008, 0x0018));
    expect(parsePart10(file).sopInstanceUid).toBe('2.25.11');
    same(file);
  });
});

describeWithSharedData('parsePart10 without dcmjs on the shared real files', () => {
  it.each(REAL_FILES)('%s', (file) => {
    const buf = readFileSync(join(DATA, file));
    expect(parsePart10(buf)).toEqual(parsePart10(buf, { useDcmjs: true }));
  });
});

