import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateChestXrayStudy, generateHeadCtStudy, newUuidUid, writePart10 } from '@triage/samples';
import { describeWithSharedData, sharedDataDir } from '@triage/testing';
import { decodeDicomImage } from './dicom-image';
import { ENCAPSULATED_TRANSFER_SYNTAXES, loadPixelCodecs } from './pixel-codecs';

/**
 * Pixel decoding checked against dcmtk, the reference DICOM toolkit: its dcmdump prints the stored
 * pixel words of a file, its dcmdjpeg/dcmdrle decompress, its dcmcjpeg/dcmcrle compress. Whatever dcmtk
 * reads from a file, the mesh must read the same.
 */

const shared = (name: string) => join(sharedDataDir(), 'dicom', name);
const env = { ...process.env, TCP_NODELAY: '1' };
let dir: string;

beforeAll(async () => {
  await loadPixelCodecs();
  dir = mkdtempSync(join(tmpdir(), 'inference-dcmtk-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function dcmtk(tool: string, ...args: string[]): string {
  return execFileSync(tool, args, { env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The value dcmdump prints for one tag (+P tag), whole (+L). */
function dumped(file: string, tag: string): string {
  const line = dcmtk('dcmdump', '+L', '+P', tag, file).split('\n')[0];
  const m = /^\([0-9a-f,]+\) [A-Z]{2} (.*?)\s+#/.exec(line);
  if (!m) throw new Error(`dcmdump printed no ${tag}: ${line.slice(0, 80)}`);
  return m[1];
}

/** dcmtk's reading of the uncompressed pixel words of a file, as 16-bit values (signed when asked). */
function dumpedWords(file: string, signed: boolean): number[] {
  return dumped(file, '7fe0,0010')
    .split('\\')
    .map((h) => {
      const v = parseInt(h, 16);
      return signed && v >= 0x8000 ? v - 0x10000 : v;
    });
}

function write(name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
};

describeWithSharedData('pixel decoding against dcmtk on the shared real files', () => {
  it('CT_small: the Hounsfield units equal dcmdump\'s stored words x RescaleSlope + RescaleIntercept', () => {
    const file = shared('CT_small.dcm');
    const slope = Number(dumped(file, '0028,1053').replace(/[[\]]/g, ''));
    const intercept = Number(dumped(file, '0028,1052').replace(/[[\]]/g, ''));
    expect([slope, intercept]).toEqual([1, -1024]);
    const words = dumpedWords(file, true);
    const ct = decodeDicomImage(readFileSync(file));
    expect(words).toHaveLength(128 * 128);
    expect(Array.from(ct.frames[0])).toEqual(words.map((w) => w * slope + intercept));
  });

  it('MR_small_RLE: equals dcmtk\'s own RLE decompression (dcmdrle) word for word', () => {
    const out = join(dir, 'mr-native.dcm');
    dcmtk('dcmdrle', shared('MR_small_RLE.dcm'), out);
    const mr = decodeDicomImage(readFileSync(shared('MR_small_RLE.dcm')));
    expect(Array.from(mr.frames[0])).toEqual(dumpedWords(out, true));
  });

  it('JPEG-lossy (12-bit extended): within one count of dcmtk\'s IJG decoder (dcmdjpeg) everywhere', () => {
    const out = join(dir, 'nm-native.dcm');
    dcmtk('dcmdjpeg', shared('JPEG-lossy.dcm'), out);
    const ours = decodeDicomImage(readFileSync(shared('JPEG-lossy.dcm'))).frames[0];
    const theirs = dumpedWords(out, false);
    expect(theirs).toHaveLength(ours.length);
    // Lossy JPEG leaves the inverse DCT's rounding to the decoder; the two libjpeg builds may differ by 1.
    expect(maxAbsDiff(ours, theirs)).toBeLessThanOrEqual(1);
    const differing = theirs.filter((v, i) => v !== ours[i]).length;
    expect(differing / theirs.length).toBeLessThan(0.01);
  });
});

describe('pixel decoding of what dcmtk compresses', () => {
  it('JPEG lossless SV1 (dcmcjpeg +e1) of a 12-bit head CT slice decodes to exactly the native HU', () => {
    const [, native] = generateHeadCtStudy({ haemorrhage: true, slices: 2 }).files;
    const src = write('ct.dcm', native);
    const out = join(dir, 'ct-jpeg-sv1.dcm');
    dcmtk('dcmcjpeg', '+e1', src, out);
    const img = decodeDicomImage(readFileSync(out));
    expect(img.transferSyntaxUid).toBe(ENCAPSULATED_TRANSFER_SYNTAXES.jpegLosslessSv1);
    expect(Array.from(img.frames[0])).toEqual(Array.from(decodeDicomImage(native).frames[0]));
  });

  it('JPEG baseline (dcmcjpeg +eb) of an 8-bit chest phantom decodes as dcmtk decodes it (dcmdjpeg)', () => {
    const [native] = generateChestXrayStudy({ seed: 5 }).files;
    const nat = decodeDicomImage(native);
    // The phantom is 12-bit; baseline needs 8 bits, so write an 8-bit copy first.
    const eight = writePart10({
      SOPClassUID: '1.2.840.10008.5.1.4.1.1.7',
      SOPInstanceUID: newUuidUid(),
      Modality: 'OT',
      Rows: nat.rows,
      Columns: nat.columns,
      SamplesPerPixel: 1,
      PhotometricInterpretation: 'MONOCHROME2',
      BitsAllocated: 8,
      BitsStored: 8,
      HighBit: 7,
      PixelRepresentation: 0,
      PixelData: Uint8Array.from(nat.frames[0], (v) => v >> 4).buffer,
      _vrMap: { PixelData: 'OB' },
    });
    const out = join(dir, 'cxr-baseline.dcm');
    dcmtk('dcmcjpeg', '+eb', write('cxr8.dcm', eight), out);
    const img = decodeDicomImage(readFileSync(out));
    expect(img.transferSyntaxUid).toBe(ENCAPSULATED_TRANSFER_SYNTAXES.jpegBaseline);
    const back = join(dir, 'cxr-baseline-dcmtk.dcm');
    dcmtk('dcmdjpeg', out, back);
    // The loss is the encoder's; both decoders must agree on what it kept (OB bytes: compare decoded images).
    expect(maxAbsDiff(img.frames[0], decodeDicomImage(readFileSync(back)).frames[0])).toBeLessThanOrEqual(1);
    const source = decodeDicomImage(eight).frames[0];
    expect(img.frames[0].some((v, i) => v !== source[i])).toBe(true);
  });

  it.each([
    ['RLE (dcmcrle)', 'dcmcrle', [] as string[], ENCAPSULATED_TRANSFER_SYNTAXES.rle],
    ['JPEG lossless SV1 (dcmcjpeg)', 'dcmcjpeg', ['+e1'], ENCAPSULATED_TRANSFER_SYNTAXES.jpegLosslessSv1],
  ])('a 3-frame signed 16-bit object compressed with %s decodes frame by frame to the native values', (_name, tool, args, ts) => {
    const frames = [0, 1, 2].map((f) => Int16Array.from({ length: 32 * 48 }, (_, i) => ((i * 37 + f * 1000) % 4000) - 2000));
    const all = new Int16Array(frames.length * 32 * 48);
    frames.forEach((f, k) => all.set(f, k * f.length));
    const native = writePart10({
      SOPClassUID: '1.2.840.10008.5.1.4.1.1.7.3',
      SOPInstanceUID: newUuidUid(),
      Modality: 'OT',
      Rows: 32,
      Columns: 48,
      NumberOfFrames: 3,
      SamplesPerPixel: 1,
      PhotometricInterpretation: 'MONOCHROME2',
      BitsAllocated: 16,
      BitsStored: 16,
      HighBit: 15,
      PixelRepresentation: 1,
      RescaleSlope: 1,
      RescaleIntercept: 0,
      PixelData: all.buffer,
      _vrMap: { PixelData: 'OW' },
    });
    const out = join(dir, `mf-${tool}.dcm`);
    dcmtk(tool, ...args, write(`mf-${tool}-src.dcm`, native), out);
    const img = decodeDicomImage(readFileSync(out));
    expect(img.transferSyntaxUid).toBe(ts);
    expect(img.frames.map((f) => Array.from(f))).toEqual(frames.map((f) => Array.from(f)));
  });
});
