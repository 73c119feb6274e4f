import { concatBytes, extent, num, nums, str } from './dataset-values';
import { dcmjs, type NaturalDataset } from './dcmjs';
import { DicomDecodeError, UnsupportedTransferSyntaxError } from './dicom-decode.exception';
import { decodeEncapsulatedFrame, framesFromFragments, isDecodableEncapsulated } from './pixel-codecs';
import { lutLookup, readLutItem, readVoi, type VoiLut, type VoiLutFunction } from './voi-lut';

/** Transfer syntaxes with native (uncompressed) pixel data. */
export const NATIVE_TRANSFER_SYNTAXES = {
  implicitLittle: '1.2.840.10008.1.2',
  explicitLittle: '1.2.840.10008.1.2.1',
  explicitBig: '1.2.840.10008.1.2.2',
} as const;
const NATIVE = new Set<string>(Object.values(NATIVE_TRANSFER_SYNTAXES));

/** A decoded greyscale image: every frame in modality units (HU for CT) plus what ordering and VOI need. */
export interface DicomImage {
  transferSyntaxUid: string;
  sopInstanceUid?: string;
  sopClassUid?: string;
  modality?: string;
  rows: number;
  columns: number;
  photometric: 'MONOCHROME1' | 'MONOCHROME2';
  /** One array per frame, rows*columns values after RescaleSlope/Intercept. */
  frames: Float32Array[];
  instanceNumber?: number;
  imagePositionPatient?: [number, number, number];
  imageOrientationPatient?: [number, number, number, number, number, number];
  windowCenter?: number;
  windowWidth?: number;
  /** VOILUTFunction (0028,1056) that goes with the window; LINEAR when absent. */
  voiLutFunction: VoiLutFunction;
  /** The first item of the VOI LUT Sequence (0028,3010), when present and well formed. */
  voiLut?: VoiLut;
  /** BodyPartExamined (0018,0015) of the instance, upper case. */
  bodyPart?: string;
  /** ViewPosition (0018,5101) of a projection image (PA, AP, LL, ...), upper case. */
  viewPosition?: string;
  /** RequestedProcedureDescription (0032,1060): the order as the modality worklist gave it. */
  requestedProcedureDescription?: string;
  /** Row and column spacing in mm: PixelSpacing, else ImagerPixelSpacing (projection radiography). */
  pixelSpacing?: [number, number];
  /** The modality values BitsStored can represent (after rescale), for exposure checks. */
  valueRange?: [number, number];
}

/** At most 2^27 pixels (512 MiB as Float32) per instance: a 16-frame 2048x4096 object, or 128 CT slices of 1024x1024. */
export const MAX_PIXELS_PER_INSTANCE = 2 ** 27;

const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);

/**
 * Reads the transfer syntax from the File Meta Information (group 0002, always explicit VR little
 * endian) before dcmjs sees the data set, so compressed or deflated objects are refused without
 * being parsed or inflated, and garbled meta fails fast.
 */
export function readTransferSyntax(bytes: Uint8Array): string {
  if (bytes.length < 132 || String.fromCharCode(...bytes.subarray(128, 132)) !== 'DICM') {
    throw new DicomDecodeError('NOT_PART10', 'not a DICOM Part 10 file: no DICM prefix at offset 128');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 132;
  while (pos + 8 <= bytes.length && view.getUint16(pos, true) === 0x0002) {
    const element = view.getUint16(pos + 2, true);
    const vr = String.fromCharCode(bytes[pos + 4], bytes[pos + 5]);
    let length: number;
    let valueAt: number;
    if (LONG_VRS.has(vr)) {
      if (pos + 12 > bytes.length) break;
      length = view.getUint32(pos + 8, true);
      valueAt = pos + 12;
    } else {
      length = view.getUint16(pos + 6, true);
      valueAt = pos + 8;
    }
    if (length === 0xffffffff || valueAt + length > bytes.length) {
      throw new DicomDecodeError('NOT_PART10', `file meta element (0002,${element.toString(16).padStart(4, '0')}) has an impossible length`);
    }
    if (element === 0x0010) {
      const uid = String.fromCharCode(...bytes.subarray(valueAt, valueAt + length)).replace(/[\0 ]+$/, '');
      if (!/^[0-9.]{1,64}$/.test(uid)) throw new DicomDecodeError('NOT_PART10', 'file meta transfer syntax UID is not a UID');
      return uid;
    }
    pos = valueAt + length;
  }
  throw new DicomDecodeError('NOT_PART10', 'file meta has no transfer syntax UID (0002,0010)');
}

/** The PixelData value as dcmjs gave it: one buffer (native) or one per frame or fragment (encapsulated). */
function pixelParts(ds: NaturalDataset): Uint8Array[] {
  const pd = ds.PixelData;
  // dcmjs nests fragment lists when a frame spans several fragments.
  const flat = (Array.isArray(pd) ? pd : [pd]).flatMap((p: unknown) => (Array.isArray(p) ? p : [p]));
  const parts = flat.filter((p): p is ArrayBuffer => p instanceof ArrayBuffer).map((p) => new Uint8Array(p));
  if (parts.length === 0) throw new DicomDecodeError('MISSING_PIXEL_DATA', 'no pixel data (7FE0,0010)');
  return parts;
}


interface PixelFormat {
  rows: number;
  columns: number;
  frames: number;
  bitsAllocated: 8 | 16;
  bitsStored: number;
  highBit: number;
  signed: boolean;
  slope: number;
  intercept: number;
  bigEndian: boolean;
  /** 8-bit data in an OW element of a big endian file comes byte-swapped in 16-bit words. */
  swap8: boolean;
}

function pixelFormat(ds: NaturalDataset, ts: string): PixelFormat {
  const rows = num(ds.Rows);
  const columns = num(ds.Columns);
  const bitsAllocated = num(ds.BitsAllocated);
  const samples = num(ds.SamplesPerPixel) ?? 1;
  if (!rows || !columns || rows > 16384 || columns > 16384) throw new DicomDecodeError('UNSUPPORTED_PIXEL_FORMAT', 'Rows/Columns missing or out of range');
  if (samples !== 1) throw new DicomDecodeError('UNSUPPORTED_PIXEL_FORMAT', `SamplesPerPixel ${samples}: only greyscale is supported`);
  if (bitsAllocated !== 8 && bitsAllocated !== 16) {
    throw new DicomDecodeError('UNSUPPORTED_PIXEL_FORMAT', `BitsAllocated ${String(bitsAllocated)}: only 8 and 16 are supported`);
  }
  const bitsStored = num(ds.BitsStored) ?? bitsAllocated;
  const highBit = num(ds.HighBit) ?? bitsStored - 1;
  if (bitsStored < 1 || bitsStored > bitsAllocated || highBit < bitsStored - 1 || highBit >= bitsAllocated) {
    throw new DicomDecodeError('UNSUPPORTED_PIXEL_FORMAT', `BitsStored ${bitsStored} / HighBit ${highBit} inconsistent with BitsAllocated ${bitsAllocated}`);
  }
  const frames = Math.max(1, Math.trunc(num(ds.NumberOfFrames) ?? 1));
  // Decoded values are Float32: bound what one instance may claim before anything is allocated.
  if (rows * columns * frames > MAX_PIXELS_PER_INSTANCE) {
    throw new DicomDecodeError('UNSUPPORTED_PIXEL_FORMAT', `${rows}x${columns}x${frames} pixels exceed the ${MAX_PIXELS_PER_INSTANCE} pixels one instance may have`);
  }
  const bigEndian = ts === NATIVE_TRANSFER_SYNTAXES.explicitBig;
  return {
    rows,
    columns,
    frames,
    bitsAllocated,
    bitsStored,
    highBit,
    signed: num(ds.PixelRepresentation) === 1,
    slope: num(ds.RescaleSlope) ?? 1,
    intercept: num(ds.RescaleIntercept) ?? 0,
    bigEndian,
    swap8: bigEndian && bitsAllocated === 8 && ds._vrMap?.PixelData === 'OW',
  };
}

/**
 * dcmjs hands back the declared number of bytes even when the file ends early, so check that a
 * (7FE0,0010) element header with this length, and its whole value, are really inside the file.
 */
function pixelDataInsideFile(bytes: Uint8Array, length: number, ts: string): boolean {
  const big = ts === NATIVE_TRANSFER_SYNTAXES.explicitBig;
  const explicit = ts !== NATIVE_TRANSFER_SYNTAXES.implicitLittle;
  const tag = big ? [0x7f, 0xe0, 0x00, 0x10] : [0xe0, 0x7f, 0x10, 0x00];
  const header = explicit ? 12 : 8;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let p = 132; p + header + length <= bytes.length; p++) {
    if (bytes[p] !== tag[0] || bytes[p + 1] !== tag[1] || bytes[p + 2] !== tag[2] || bytes[p + 3] !== tag[3]) continue;
    if (view.getUint32(p + header - 4, !big) === length) return true;
  }
  return false;
}

/** Typed arrays use the host's byte order; the 16-bit view is only a shortcut where that is little endian. */
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * A typed-array view of the samples when no masking, shifting or byte swapping is needed (BitsStored =
 * BitsAllocated, little endian, 16-bit data aligned); otherwise undefined.
 */
function fastView(bytes: Uint8Array, f: PixelFormat): Uint8Array | Int8Array | Uint16Array | Int16Array | undefined {
  if (f.bitsStored !== f.bitsAllocated || f.swap8) return undefined;
  const count = f.rows * f.columns * f.frames;
  if (f.bitsAllocated === 8) return f.signed ? new Int8Array(bytes.buffer, bytes.byteOffset, count) : bytes.subarray(0, count);
  if (f.bigEndian || !HOST_LITTLE_ENDIAN || bytes.byteOffset % 2 !== 0) return undefined;
  return f.signed ? new Int16Array(bytes.buffer, bytes.byteOffset, count) : new Uint16Array(bytes.buffer, bytes.byteOffset, count);
}

/** Native pixel data into modality values per frame (stored bits masked, sign-extended, rescaled). */
function decodeFrames(bytes: Uint8Array, f: PixelFormat): Float32Array[] {
  const perFrame = f.rows * f.columns;
  const bytesPer = f.bitsAllocated / 8;
  if (bytes.length < perFrame * f.frames * bytesPer) {
    throw new DicomDecodeError('PIXEL_DATA_TRUNCATED', `pixel data has ${bytes.length} bytes, ${perFrame * f.frames * bytesPer} expected`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shift = f.highBit + 1 - f.bitsStored;
  const mask = 2 ** f.bitsStored - 1;
  const signBit = 2 ** (f.bitsStored - 1);
  const wrap = 2 * signBit;
  const { slope, intercept, signed, swap8 } = f;
  const little = !f.bigEndian;
  const wide = f.bitsAllocated === 16;
  const out: Float32Array[] = [];
  const fast = fastView(bytes, f);
  if (fast) {
    // Every stored bit is a value bit: the engine converts the samples (Float32Array.set), then rescale.
    for (let fr = 0; fr < f.frames; fr++) {
      const frame = new Float32Array(perFrame);
      frame.set(fast.subarray(fr * perFrame, (fr + 1) * perFrame));
      if (slope !== 1 || intercept !== 0) for (let i = 0; i < perFrame; i++) frame[i] = frame[i] * slope + intercept;
      out.push(frame);
    }
    return out;
  }
  // Locals and one loop per sample width: this loop runs once per pixel of every frame.
  for (let fr = 0; fr < f.frames; fr++) {
    const frame = new Float32Array(perFrame);
    const base = fr * perFrame;
    if (wide) {
      for (let i = 0; i < perFrame; i++) {
        let v = (view.getUint16((base + i) * 2, little) >>> shift) & mask;
        if (signed && v >= signBit) v -= wrap;
        frame[i] = v * slope + intercept;
      }
    } else {
      for (let i = 0; i < perFrame; i++) {
        const at = base + i;
        let v = (bytes[swap8 ? at ^ 1 : at] >>> shift) & mask;
        if (signed && v >= signBit) v -= wrap;
        frame[i] = v * slope + intercept;
      }
    }
    out.push(frame);
  }
  return out;
}

/** Native pixel data checked against the file, into modality values per frame. */
function nativeFrames(bytes: Uint8Array, ds: NaturalDataset, format: PixelFormat, ts: string): Float32Array[] {
  const pixels = concatBytes(pixelParts(ds));
  if (!pixelDataInsideFile(bytes, pixels.length, ts)) {
    throw new DicomDecodeError('PIXEL_DATA_TRUNCATED', 'pixel data (7FE0,0010) runs past the end of the file');
  }
  return decodeFrames(pixels, format);
}

/** Encapsulated pixel data: each frame through its codec, then the same masking and rescale as native data. */
function encapsulatedFrames(ds: NaturalDataset, format: PixelFormat, ts: string, photometric: string): Float32Array[] {
  const frames = framesFromFragments(pixelParts(ds), format.frames, ts);
  const one: PixelFormat = { ...format, frames: 1, bigEndian: false, swap8: false };
  return frames.map((frame) => decodeFrames(decodeEncapsulatedFrame(ts, frame, { ...format, photometric }), one)[0]);
}

/**
 * Parses a DICOM Part 10 object and decodes its greyscale pixel data (native, RLE or JPEG; compressed
 * syntaxes need loadPixelCodecs() first) into modality values.
 */
export function decodeDicomImage(input: Uint8Array | ArrayBuffer): DicomImage {
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  const ts = readTransferSyntax(bytes);
  const native = NATIVE.has(ts);
  if (!native && !isDecodableEncapsulated(ts)) throw new UnsupportedTransferSyntaxError(ts);
  let ds: NaturalDataset;
  try {
    const copy = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    const dict = dcmjs.data.DicomMessage.readFile(copy);
    ds = dcmjs.data.DicomMetaDictionary.naturalizeDataset(dict.dict);
  } catch (err) {
    // dcmjs messages may quote element values; keep only the error type.
    throw new DicomDecodeError('PARSE_FAILED', `DICOM data set could not be parsed (${err instanceof Error ? err.name : 'error'})`);
  }
  const photometric = str(ds.PhotometricInterpretation) ?? 'MONOCHROME2';
  if (photometric !== 'MONOCHROME1' && photometric !== 'MONOCHROME2') {
    throw new DicomDecodeError('UNSUPPORTED_PIXEL_FORMAT', `PhotometricInterpretation ${photometric.slice(0, 16)}: only MONOCHROME1/2 are supported`);
  }
  const declared = pixelFormat(ds, ts);
  // A Modality LUT Sequence (0028,3000) takes the place of RescaleSlope/Intercept (PS3.3 C.11.1).
  const seq = ds.ModalityLUTSequence;
  const modalityLut = readLutItem(Array.isArray(seq) ? seq[0] : seq);
  const format = modalityLut ? { ...declared, slope: 1, intercept: 0 } : declared;
  const stored = native ? nativeFrames(bytes, ds, format, ts) : encapsulatedFrames(ds, format, ts, photometric);
  const frames = modalityLut ? stored.map((f) => applyModalityLut(f, modalityLut)) : stored;
  const voi = readVoi(ds);
  const ipp = nums(ds.ImagePositionPatient, 3);
  const spacing = nums(ds.PixelSpacing, 2) ?? nums(ds.ImagerPixelSpacing, 2);
  const iop = nums(ds.ImageOrientationPatient, 6);
  return {
    transferSyntaxUid: ts,
    sopInstanceUid: str(ds.SOPInstanceUID),
    sopClassUid: str(ds.SOPClassUID),
    modality: str(ds.Modality),
    rows: format.rows,
    columns: format.columns,
    photometric,
    frames,
    instanceNumber: num(ds.InstanceNumber),
    imagePositionPatient: ipp as DicomImage['imagePositionPatient'],
    imageOrientationPatient: iop as DicomImage['imageOrientationPatient'],
    windowCenter: voi.window?.center,
    windowWidth: voi.window?.width,
    voiLutFunction: voi.lutFunction,
    voiLut: voi.lut,
    bodyPart: str(ds.BodyPartExamined)?.toUpperCase() || undefined,
    requestedProcedureDescription: str(ds.RequestedProcedureDescription) || undefined,
    viewPosition: str(ds.ViewPosition)?.toUpperCase() || undefined,
    pixelSpacing: spacing && spacing.every((v) => v > 0) ? (spacing as [number, number]) : undefined,
    valueRange: modalityLut ? extent(modalityLut.data) : valueRange(format),
  };
}

/** Stored values through the Modality LUT (in place): the entry for each value, the first or last one outside its range. */
function applyModalityLut(frame: Float32Array, lut: VoiLut): Float32Array {
  const lookup = lutLookup(lut);
  for (let i = 0; i < frame.length; i++) frame[i] = lookup(frame[i]);
  return frame;
}

/** The stored-value range of the format in modality values (a negative slope swaps the ends). */
function valueRange(f: PixelFormat): [number, number] {
  const lo = f.signed ? -(2 ** (f.bitsStored - 1)) : 0;
  const hi = f.signed ? 2 ** (f.bitsStored - 1) - 1 : 2 ** f.bitsStored - 1;
  const a = lo * f.slope + f.intercept;
  const b = hi * f.slope + f.intercept;
  return a <= b ? [a, b] : [b, a];
}
