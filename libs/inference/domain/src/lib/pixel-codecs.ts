import { dirname, join } from 'node:path';
import { concatBytes } from './dataset-values';
import { DicomDecodeError } from './dicom-decode.exception';

/**
 * Compressed pixel data through dcmjs-codecs (libjpeg, 8 and 12-bit lossy and lossless, and an RLE
 * decoder, compiled to WebAssembly): a maintained codec build, where hand-written JPEG decoding would be
 * the riskiest code in the pipeline. Only the decoders are used; the data set is parsed by dcmjs.
 */

/** Encapsulated transfer syntaxes this pipeline decodes. Deflate and JPEG 2000 stay refused (bombs, size claims). */
export const ENCAPSULATED_TRANSFER_SYNTAXES = {
  rle: '1.2.840.10008.1.2.5',
  jpegBaseline: '1.2.840.10008.1.2.4.50',
  jpegExtended: '1.2.840.10008.1.2.4.51',
  jpegLossless: '1.2.840.10008.1.2.4.57',
  jpegLosslessSv1: '1.2.840.10008.1.2.4.70',
} as const;
const ENCAPSULATED = new Set<string>(Object.values(ENCAPSULATED_TRANSFER_SYNTAXES));

/** Whether decodeDicomImage can decode this encapsulated transfer syntax (once the codecs are loaded). */
export function isDecodableEncapsulated(ts: string): boolean {
  return ENCAPSULATED.has(ts);
}

interface CodecContext {
  getDecodedBuffer(): Uint8Array | undefined;
}
interface CodecsModule {
  Context: new (attrs: Record<string, unknown>) => CodecContext;
  NativeCodecs: {
    initializeAsync(opts?: { webAssemblyModulePathOrUrl?: string }): Promise<void>;
    isInitialized(): boolean;
    decodeRle(ctx: CodecContext): CodecContext;
    decodeJpeg(ctx: CodecContext, params?: { convertColorspaceToRgb?: boolean }): CodecContext;
  };
}

let codecs: CodecsModule | undefined;
let loading: Promise<void> | undefined;

/**
 * Loads the WebAssembly decoders once per process (about 50 ms). Call before decoding compressed
 * objects; decodeDicomImage refuses them with CODEC_NOT_LOADED otherwise.
 */
export function loadPixelCodecs(): Promise<void> {
  loading ??= (async () => {
    const mod = require('dcmjs-codecs') as CodecsModule;
    const wasm = join(dirname(require.resolve('dcmjs-codecs')), 'dcmjs-native-codecs.wasm');
    await mod.NativeCodecs.initializeAsync({ webAssemblyModulePathOrUrl: wasm });
    codecs = mod;
  })();
  // A failed load may be retried by the next caller.
  loading.catch(() => (loading = undefined));
  return loading;
}

/** What a decoder needs to know about the frame it decodes. */
export interface EncodedFrameFormat {
  rows: number;
  columns: number;
  bitsAllocated: 8 | 16;
  bitsStored: number;
  signed: boolean;
  photometric: string;
}

/** Decodes one compressed frame into native little endian samples (bitsAllocated each). */
export function decodeEncapsulatedFrame(ts: string, frame: Uint8Array, f: EncodedFrameFormat): Uint8Array {
  if (!codecs) throw new DicomDecodeError('CODEC_NOT_LOADED', `pixel codecs not loaded: call loadPixelCodecs() before decoding ${ts}`);
  const expected = f.rows * f.columns * (f.bitsAllocated / 8);
  const ctx = new codecs.Context({
    width: f.columns,
    height: f.rows,
    bitsAllocated: f.bitsAllocated,
    bitsStored: f.bitsStored,
    samplesPerPixel: 1,
    pixelRepresentation: f.signed ? 1 : 0,
    planarConfiguration: 0,
    photometricInterpretation: f.photometric,
    encodedBuffer: frame,
  });
  let out: Uint8Array | undefined;
  try {
    const decoded = ts === ENCAPSULATED_TRANSFER_SYNTAXES.rle ? codecs.NativeCodecs.decodeRle(ctx) : codecs.NativeCodecs.decodeJpeg(ctx, { convertColorspaceToRgb: false });
    out = decoded.getDecodedBuffer();
  } catch (err) {
    // Codec messages describe the bit stream, never data set values; keep them short anyway.
    throw new DicomDecodeError('PIXEL_DATA_CORRUPT', `compressed frame (${ts}) could not be decoded: ${err instanceof Error ? err.message.slice(0, 120) : 'codec error'}`);
  }
  // A frame that decodes to another size than Rows x Columns declare is not this image: refuse it.
  if (!out || out.byteLength !== expected) {
    throw new DicomDecodeError('PIXEL_DATA_CORRUPT', `compressed frame (${ts}) decoded to ${out?.byteLength ?? 0} bytes, ${expected} expected for ${f.rows}x${f.columns}`);
  }
  return out;
}

const isJpegStart = (b: Uint8Array): boolean => b.length >= 2 && b[0] === 0xff && b[1] === 0xd8;

/**
 * Groups the fragments dcmjs read into one byte string per frame (PS3.5 A.4). dcmjs already groups by
 * the Basic Offset Table when there is one; without it: one frame takes every fragment, as many
 * fragments as frames map one to one, and JPEG frames start at a fragment beginning with SOI (FFD8).
 */
export function framesFromFragments(fragments: readonly Uint8Array[], frames: number, ts: string): Uint8Array[] {
  if (fragments.length === 0) throw new DicomDecodeError('MISSING_PIXEL_DATA', 'encapsulated pixel data has no fragments');
  if (frames === 1) return [concatBytes(fragments)];
  if (fragments.length === frames) return [...fragments];
  if (ts !== ENCAPSULATED_TRANSFER_SYNTAXES.rle && isJpegStart(fragments[0])) {
    const grouped: Uint8Array[][] = [];
    for (const f of fragments) {
      if (isJpegStart(f) || grouped.length === 0) grouped.push([f]);
      else grouped[grouped.length - 1].push(f);
    }
    if (grouped.length === frames) return grouped.map(concatBytes);
  }
  throw new DicomDecodeError('PIXEL_DATA_CORRUPT', `encapsulated pixel data has ${fragments.length} fragments that do not split into ${frames} frames`);
}
