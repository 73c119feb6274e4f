import { num, str } from './dataset-values';

/**
 * The VOI LUT stage of the DICOM greyscale pipeline (PS3.3 C.11.2): a window (WindowCenter/WindowWidth
 * with VOILUTFunction LINEAR, LINEAR_EXACT or SIGMOID) or a VOI LUT Sequence item, applied to modality
 * values and giving 0..1 (0 = the display's darkest value before any MONOCHROME1 inversion).
 */

export type VoiLutFunction = 'LINEAR' | 'LINEAR_EXACT' | 'SIGMOID';

/** One item of the VOI LUT Sequence (0028,3010). */
export interface VoiLut {
  /** The first modality value the LUT maps (LUTDescriptor[1]). */
  firstMapped: number;
  /** Bits per output entry (LUTDescriptor[2]); the output range is 0 .. 2^bits - 1. */
  bits: number;
  data: Uint16Array;
}

export interface VoiWindow {
  center: number;
  width: number;
}

/** The VOI transforms an instance offers: its first window and first LUT (either may be absent). */
export interface Voi {
  window?: VoiWindow;
  lutFunction: VoiLutFunction;
  lut?: VoiLut;
}

/** LUTData as 16-bit entries, whether dcmjs gave an OW buffer or a US value list. */
function lutEntries(data: unknown, count: number): Uint16Array | undefined {
  const raw = Array.isArray(data) && data[0] instanceof ArrayBuffer ? data[0] : data instanceof ArrayBuffer ? data : undefined;
  if (raw) {
    if (raw.byteLength < count * 2) return undefined;
    return new Uint16Array(raw.slice(0, count * 2));
  }
  if (Array.isArray(data) && data.length >= count && data.every((d) => typeof d === 'number')) return Uint16Array.from(data.slice(0, count) as number[]);
  return undefined;
}

/** One LUT item (LUTDescriptor + LUTData), VOI or Modality LUT Sequence; undefined when malformed. */
export function readLutItem(item: unknown): VoiLut | undefined {
  if (typeof item !== 'object' || item === null) return undefined;
  const it = item as Record<string, unknown>;
  const d = it.LUTDescriptor;
  if (!Array.isArray(d) || d.length < 3) return undefined;
  const [n0, firstMapped, bits] = d.map(Number);
  // PS3.3 C.11.2.1.1: 0 entries means 65536; the first mapped value may be signed (US or SS).
  const count = n0 === 0 ? 65536 : n0;
  if (!Number.isInteger(count) || count < 1 || !Number.isFinite(firstMapped) || !(bits >= 8 && bits <= 16)) return undefined;
  const data = lutEntries(it.LUTData, count);
  return data ? { firstMapped, bits, data } : undefined;
}

/** Reads the VOI attributes of a naturalized data set; malformed items are ignored, not guessed at. */
export function readVoi(ds: Record<string, unknown>): Voi {
  const center = num(ds.WindowCenter);
  const width = num(ds.WindowWidth);
  const fn = str(ds.VOILUTFunction) ?? 'LINEAR';
  const lutFunction: VoiLutFunction = fn === 'LINEAR_EXACT' || fn === 'SIGMOID' ? fn : 'LINEAR';
  const seq = ds.VOILUTSequence;
  const lut = Array.isArray(seq) ? readLutItem(seq[0]) : readLutItem(seq);
  // LINEAR requires width >= 1, LINEAR_EXACT and SIGMOID width > 0 (C.11.2.1.2).
  const validWidth = width !== undefined && (lutFunction === 'LINEAR' ? width >= 1 : width > 0);
  return { window: center !== undefined && validWidth ? { center, width: width as number } : undefined, lutFunction, lut };
}

/** The window function of C.11.2.1.2 (LINEAR, LINEAR_EXACT, SIGMOID) for one value, into 0..1. */
export function voiWindowFunction(w: VoiWindow, fn: VoiLutFunction): (x: number) => number {
  const { center: c, width: wd } = w;
  switch (fn) {
    case 'LINEAR': {
      const lo = c - 0.5 - (wd - 1) / 2;
      const hi = c - 0.5 + (wd - 1) / 2;
      const span = wd - 1;
      return (x) => (x <= lo ? 0 : x > hi ? 1 : span > 0 ? (x - (c - 0.5)) / span + 0.5 : 1);
    }
    case 'LINEAR_EXACT': {
      const lo = c - wd / 2;
      const hi = c + wd / 2;
      return (x) => (x <= lo ? 0 : x > hi ? 1 : (x - c) / wd + 0.5);
    }
    case 'SIGMOID':
      return (x) => 1 / (1 + Math.exp((-4 * (x - c)) / wd));
  }
}

/** A LUT's entry for one value: below the first mapped value the first entry, above the last the last. */
export function lutLookup(lut: VoiLut): (x: number) => number {
  const last = lut.data.length - 1;
  return (x) => {
    const k = Math.round(x) - lut.firstMapped;
    return lut.data[k < 0 ? 0 : k > last ? last : k];
  };
}

/** A VOI LUT Sequence item for one value, into 0..1 (the entry over the largest value its bits hold). */
export function voiLutFunction(lut: VoiLut): (x: number) => number {
  const lookup = lutLookup(lut);
  const scale = 1 / (2 ** lut.bits - 1);
  return (x) => Math.min(1, lookup(x) * scale);
}

function mapAll(values: Float32Array, f: (x: number) => number): Float32Array {
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = f(values[i]);
  return out;
}

/** The window function applied to every value. */
export function applyVoiWindow(values: Float32Array, w: VoiWindow, fn: VoiLutFunction): Float32Array {
  return mapAll(values, voiWindowFunction(w, fn));
}

/** The VOI LUT applied to every value. */
export function applyVoiLut(values: Float32Array, lut: VoiLut): Float32Array {
  return mapAll(values, voiLutFunction(lut));
}
