import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeWithSharedData, sharedDataDir } from '@triage/testing';
import { DicomDecodeError, UnsupportedTransferSyntaxError } from './dicom-decode.exception';
import { decodeDicomImage, NATIVE_TRANSFER_SYNTAXES, readTransferSyntax } from './dicom-image';
import { dcmjs } from './dcmjs';
import { ENCAPSULATED_TRANSFER_SYNTAXES, loadPixelCodecs } from './pixel-codecs';
import { generateHeadCtStudy, HEAD_CT_PHANTOM, headCtTissueAt, newUuidUid, writePart10 } from '@triage/samples';

const load = (name: string) => readFileSync(join(sharedDataDir(), 'dicom', name));

beforeAll(() => loadPixelCodecs());

describeWithSharedData('decodeDicomImage on the shared real files', () => {
  it('decodes the same MR pixels from explicit LE, implicit LE, explicit BE and RLE Lossless', () => {
    const explicit = decodeDicomImage(load('MR_small.dcm'));
    const implicit = decodeDicomImage(load('MR_small_implicit.dcm'));
    const big = decodeDicomImage(load('MR_small_bigendian.dcm'));
    const rle = decodeDicomImage(load('MR_small_RLE.dcm'));
    expect(explicit.transferSyntaxUid).toBe(NATIVE_TRANSFER_SYNTAXES.explicitLittle);
    expect(implicit.transferSyntaxUid).toBe(NATIVE_TRANSFER_SYNTAXES.implicitLittle);
    expect(big.transferSyntaxUid).toBe(NATIVE_TRANSFER_SYNTAXES.explicitBig);
    expect(rle.transferSyntaxUid).toBe(ENCAPSULATED_TRANSFER_SYNTAXES.rle);
    expect([explicit.rows, explicit.columns, explicit.frames.length]).toEqual([64, 64, 1]);
    expect(Array.from(implicit.frames[0])).toEqual(Array.from(explicit.frames[0]));
    expect(Array.from(big.frames[0])).toEqual(Array.from(explicit.frames[0]));
    expect(Array.from(rle.frames[0])).toEqual(Array.from(explicit.frames[0]));
    // Not a degenerate image: the values vary.
    expect(new Set(explicit.frames[0]).size).toBeGreaterThan(100);
    expect([rle.windowCenter, rle.windowWidth]).toEqual([600, 1600]);
  });

  it('decodes the 12-bit JPEG extended (process 2+4) NM image to plausible counts', () => {
    const nm = decodeDicomImage(load('JPEG-lossy.dcm'));
    expect(nm.transferSyntaxUid).toBe(ENCAPSULATED_TRANSFER_SYNTAXES.jpegExtended);
    expect([nm.rows, nm.columns, nm.frames.length]).toEqual([1024, 256, 1]);
    const values = nm.frames[0];
    // A whole-body NM scan: counts within 12 bits, mostly low background, a bright body outline.
    expect(values.every((v) => v >= 0 && v <= 4095)).toBe(true);
    const background = values.filter((v) => v < 10).length / values.length;
    expect(background).toBeGreaterThan(0.5);
    expect(values.reduce((a, b) => Math.max(a, b), 0)).toBeGreaterThan(100);
    expect(nm.bodyPart).toBe('WHOLE BODY');
  });

  it('refuses a JPEG frame whose size is not what Rows x Columns declare', () => {
    const bytes = load('JPEG-lossy.dcm');
    const dict = dcmjs.data.DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
    const ds = dcmjs.data.DicomMetaDictionary.naturalizeDataset(dict.dict);
    ds.Rows = 512;
    expect(() => decodeDicomImage(writePart10(ds, ENCAPSULATED_TRANSFER_SYNTAXES.jpegExtended))).toThrow(
      expect.objectContaining({ code: 'PIXEL_DATA_CORRUPT', message: expect.stringMatching(/decoded to 524288 bytes, 262144 expected/) }),
    );
  });

  it('applies RescaleSlope/Intercept to CT_small (air near -1000 HU, soft tissue and bone above 0)', () => {
    const ct = decodeDicomImage(load('CT_small.dcm'));
    expect(ct.modality).toBe('CT');
    expect([ct.rows, ct.columns]).toEqual([128, 128]);
    const values = Array.from(ct.frames[0]);
    expect(Math.min(...values)).toBeLessThan(-800);
    expect(Math.max(...values)).toBeGreaterThan(500);
    expect(ct.imagePositionPatient).toHaveLength(3);
    expect(ct.imageOrientationPatient).toHaveLength(6);
  });

  it('decodes the 8-bit implicit VR chest radiograph', () => {
    const cxr = decodeDicomImage(load('cxr_nih_1024.dcm'));
    expect([cxr.rows, cxr.columns]).toEqual([1024, 1024]);
    const values = cxr.frames[0];
    expect(values.every((v) => v >= 0 && v <= 255)).toBe(true);
    expect(values.some((v) => v > 200)).toBe(true);
  });

});

/** Preamble, DICM and a file meta holding only (0002,0010): enough for the transfer syntax check. */
function metaOnly(ts: string): Uint8Array {
  const uid = ts.length % 2 ? `${ts}\0` : ts;
  const out = new Uint8Array(132 + 8 + uid.length);
  out.set(Buffer.from('DICM'), 128);
  const view = new DataView(out.buffer);
  view.setUint16(132, 0x0002, true);
  view.setUint16(134, 0x0010, true);
  out.set(Buffer.from('UI'), 136);
  view.setUint16(138, uid.length, true);
  out.set(Buffer.from(uid, 'latin1'), 140);
  return out;
}

describe('decodeDicomImage on synthetic and broken input', () => {
  it.each([
    ['JPEG 2000', '1.2.840.10008.1.2.4.90'],
    ['Deflated', '1.2.840.10008.1.2.1.99'],
  ])('refuses %s (%s) with the typed unsupported-transfer-syntax error', (_name, uid) => {
    let caught: unknown;
    try {
      decodeDicomImage(metaOnly(uid));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(UnsupportedTransferSyntaxError);
    const e = caught as UnsupportedTransferSyntaxError;
    expect(e.code).toBe('UNSUPPORTED_TRANSFER_SYNTAX');
    expect(e.transferSyntaxUid).toBe(uid);
    expect(e.message).toContain(uid);
    expect(e.retryable).toBe(false);
  });
  it('decodes the head CT phantom to the Hounsfield units it was written with (12 of 16 bits, intercept -1024)', () => {
    const [, file] = generateHeadCtStudy({ haemorrhage: true, slices: 5 }).files;
    const img = decodeDicomImage(file);
    const { size, hu, noise } = HEAD_CT_PHANTOM;
    for (let y = 0; y < size; y += 3) {
      for (let x = 0; x < size; x += 3) {
        const expected = hu[headCtTissueAt(x, y, 2, true)];
        expect(Math.abs(img.frames[0][y * size + x] - expected)).toBeLessThanOrEqual(noise);
      }
    }
  });

  it('decodes signed 8-bit multi-frame data', () => {
    const frames = new Int8Array([-128, -1, 0, 127, 5, -5, 64, -64]);
    const file = writePart10({
      SOPClassUID: '1.2.840.10008.5.1.4.1.1.7',
      SOPInstanceUID: newUuidUid(),
      Modality: 'OT',
      Rows: 2,
      Columns: 2,
      NumberOfFrames: 2,
      SamplesPerPixel: 1,
      PhotometricInterpretation: 'MONOCHROME1',
      BitsAllocated: 8,
      BitsStored: 8,
      HighBit: 7,
      PixelRepresentation: 1,
      RescaleSlope: 2,
      RescaleIntercept: 10,
      PixelData: frames.buffer,
      _vrMap: { PixelData: 'OB' },
    });
    const img = decodeDicomImage(file);
    expect(img.photometric).toBe('MONOCHROME1');
    expect(img.frames.map((f) => Array.from(f))).toEqual([
      [-246, 8, 10, 264],
      [20, 0, 138, -118],
    ]);
  });

  it('masks bits above HighBit and sign-extends BitsStored', () => {
    // 12 bits stored, signed: 0xF001 carries junk in the top 4 bits; 0x0800 is -2048, 0x07FF is 2047.
    const px = new Uint16Array([0xf001, 0x0800, 0x07ff, 0x0fff]);
    const file = writePart10({
      SOPClassUID: '1.2.840.10008.5.1.4.1.1.7',
      SOPInstanceUID: newUuidUid(),
      Rows: 2,
      Columns: 2,
      SamplesPerPixel: 1,
      PhotometricInterpretation: 'MONOCHROME2',
      BitsAllocated: 16,
      BitsStored: 12,
      HighBit: 11,
      PixelRepresentation: 1,
      PixelData: px.buffer,
      _vrMap: { PixelData: 'OW' },
    });
    expect(Array.from(decodeDicomImage(file).frames[0])).toEqual([1, -2048, 2047, -1]);
  });

  it('reads the VOI LUT Sequence and VOILUTFunction of the instance', () => {
    const file = writePart10({
      SOPClassUID: '1.2.840.10008.5.1.4.1.1.1.1',
      SOPInstanceUID: newUuidUid(),
      Modality: 'DX',
      BodyPartExamined: 'chest',
      Rows: 1,
      Columns: 4,
      SamplesPerPixel: 1,
      PhotometricInterpretation: 'MONOCHROME2',
      BitsAllocated: 16,
      BitsStored: 12,
      HighBit: 11,
      PixelRepresentation: 0,
      WindowCenter: 2048,
      WindowWidth: 4096,
      VOILUTFunction: 'SIGMOID',
      VOILUTSequence: [{ LUTDescriptor: [3, 1, 16], LUTData: new Uint16Array([0, 30000, 65535]).buffer, _vrMap: { LUTDescriptor: 'US', LUTData: 'OW' } }],
      PixelData: new Uint16Array([0, 1, 2, 3]).buffer,
      _vrMap: { PixelData: 'OW' },
    });
    const img = decodeDicomImage(file);
    expect(img.voiLutFunction).toBe('SIGMOID');
    expect([img.windowCenter, img.windowWidth]).toEqual([2048, 4096]);
    expect(img.voiLut).toEqual({ firstMapped: 1, bits: 16, data: Uint16Array.from([0, 30000, 65535]) });
    expect(img.bodyPart).toBe('CHEST');
  });

  it('maps stored values through the Modality LUT Sequence instead of RescaleSlope/Intercept', () => {
    const file = writePart10({
      SOPClassUID: '1.2.840.10008.5.1.4.1.1.12.1',
      SOPInstanceUID: newUuidUid(),
      Modality: 'XA',
      Rows: 1,
      Columns: 5,
      SamplesPerPixel: 1,
      PhotometricInterpretation: 'MONOCHROME2',
      BitsAllocated: 16,
      BitsStored: 16,
      HighBit: 15,
      PixelRepresentation: 0,
      ModalityLUTSequence: [{ LUTDescriptor: [4, 1, 16], LUTData: new Uint16Array([10, 100, 200, 1000]).buffer, ModalityLUTType: 'OD', _vrMap: { LUTDescriptor: 'US', LUTData: 'OW' } }],
      PixelData: new Uint16Array([0, 1, 2, 4, 9]).buffer,
      _vrMap: { PixelData: 'OW' },
    });
    const img = decodeDicomImage(file);
    // Entries for stored values 1..4; 0 takes the first entry, 9 the last.
    expect(Array.from(img.frames[0])).toEqual([10, 10, 100, 1000, 1000]);
    expect(img.valueRange).toEqual([10, 1000]);
  });

  it('refuses an instance claiming more pixels than one instance may have, before allocating them', () => {
    const file = writePart10({
      SOPClassUID: '1.2.840.10008.5.1.4.1.1.7',
      SOPInstanceUID: newUuidUid(),
      Rows: 16384,
      Columns: 16384,
      NumberOfFrames: 4,
      SamplesPerPixel: 1,
      PhotometricInterpretation: 'MONOCHROME2',
      BitsAllocated: 8,
      BitsStored: 8,
      HighBit: 7,
      PixelRepresentation: 0,
      PixelData: new Uint8Array(16).buffer,
      _vrMap: { PixelData: 'OB' },
    });
    expect(() => decodeDicomImage(file)).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_PIXEL_FORMAT', message: expect.stringMatching(/exceed the 134217728 pixels/) }));
  });

  it('rejects a file without the DICM prefix', () => {
    expect(() => decodeDicomImage(Buffer.from('GET / HTTP/1.1\r\n\r\n'))).toThrow(DicomDecodeError);
    expect(() => readTransferSyntax(new Uint8Array(200))).toThrow(/no DICM prefix/);
  });

  it('rejects truncated pixel data and file meta with an impossible length, with typed errors', () => {
    const [file] = generateHeadCtStudy({ haemorrhage: false, slices: 1 }).files;
    const cut = file.subarray(0, file.length - 1000);
    expect(() => decodeDicomImage(cut)).toThrow(DicomDecodeError);
    const garbled = Uint8Array.from(file.subarray(0, 200));
    // First meta element's 4-byte length (OB, at 132+8) set to 0xFFFFFFF0.
    new DataView(garbled.buffer).setUint32(140, 0xfffffff0, true);
    expect(() => decodeDicomImage(garbled)).toThrow(expect.objectContaining({ code: 'NOT_PART10' }));
  });
});
