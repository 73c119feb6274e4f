import { DicomParseError, DicomParseErrorCode as Code } from './dicom-parse.exception';

export const TS = {
  implicitLittle: '1.2.840.10008.1.2',
  explicitLittle: '1.2.840.10008.1.2.1',
  deflatedExplicitLittle: '1.2.840.10008.1.2.1.99',
  explicitBig: '1.2.840.10008.1.2.2',
} as const;

/** VRs whose explicit-VR header has 2 reserved bytes and a 4-byte length (PS3.5 7.1.2). */
const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);
const UNDEFINED = 0xffffffff;
const ITEM = 0xfffee000;
const ITEM_END = 0xfffee00d;
const SEQ_END = 0xfffee0dd;
const MAX_DEPTH = 16;

/** Where a top-level element's value is: [offset, length] in the file. */
export type ValueSpan = readonly [offset: number, length: number];

export interface Part10Structure {
  transferSyntaxUid: string;
  /** Offset of the first data set element (after the file meta group). */
  datasetOffset: number;
  /** Offset of the top-level Pixel Data element (7FE0,0010), when there is one. */
  pixelDataOffset?: number;
  /** Value spans of the top-level data set elements asked for (`capture`), first occurrence of each. */
  values: ReadonlyMap<number, ValueSpan>;
  /** Value spans of the file meta elements (group 0002). */
  metaValues: ReadonlyMap<number, ValueSpan>;
}

interface Syntax {
  explicit: boolean;
  little: boolean;
}

const PIXEL_DATA = 0x7fe00010;
const NONE: ReadonlySet<number> = new Set();

class Walker {
  /** Offset of the first top-level (7FE0,0010) seen. */
  pixelDataAt: number | undefined;
  /** Value spans of the captured top-level tags. */
  readonly values = new Map<number, ValueSpan>();

  constructor(
    private readonly buf: Buffer,
    private readonly syntax: Syntax,
    private readonly capture: ReadonlySet<number> = NONE,
  ) {}

  private need(offset: number, bytes: number): void {
    if (offset + bytes > this.buf.length) throw new DicomParseError(Code.Truncated, 'file ends inside an element');
  }

  private u16(o: number): number {
    return this.syntax.little ? this.buf.readUInt16LE(o) : this.buf.readUInt16BE(o);
  }

  private u32(o: number): number {
    return this.syntax.little ? this.buf.readUInt32LE(o) : this.buf.readUInt32BE(o);
  }

  private tag(o: number): number {
    return ((this.u16(o) << 16) | this.u16(o + 2)) >>> 0;
  }

  /** Walks elements from `offset` until `end` or (inside an undefined-length item) an item delimiter. */
  dataset(offset: number, end: number, depth: number, inUndefinedItem: boolean): number {
    if (depth > MAX_DEPTH) throw new DicomParseError(Code.Malformed, 'sequences nested too deeply');
    let o = offset;
    while (o < end) {
      this.need(o, 8);
      const tag = this.tag(o);
      if (tag === ITEM_END) {
        if (!inUndefinedItem) throw new DicomParseError(Code.Malformed, 'item delimiter outside an item');
        return o + 8;
      }
      if (tag === SEQ_END || tag === ITEM) throw new DicomParseError(Code.Malformed, 'sequence delimiter where an element belongs');
      if (tag === PIXEL_DATA && depth === 0 && this.pixelDataAt === undefined) this.pixelDataAt = o;
      let length: number;
      let vr = '';
      let header: number;
      if (this.syntax.explicit) {
        vr = this.buf.toString('latin1', o + 4, o + 6);
        if (LONG_VRS.has(vr)) {
          this.need(o, 12);
          length = this.u32(o + 8);
          header = 12;
        } else if (/^[A-Z]{2}$/.test(vr)) {
          length = this.u16(o + 6);
          header = 8;
        } else {
          throw new DicomParseError(Code.Malformed, 'invalid value representation');
        }
      } else {
        length = this.u32(o + 4);
        header = 8;
      }
      o += header;
      if (length === UNDEFINED) {
        if (this.syntax.explicit && vr !== 'SQ' && vr !== 'UN' && vr !== 'OB' && vr !== 'OW') {
          throw new DicomParseError(Code.Malformed, 'undefined length on a VR that cannot have one');
        }
        // A UN of undefined length holds a sequence encoded in implicit VR little endian (PS3.5 6.2.2).
        const inner = vr === 'UN' ? new Walker(this.buf, { explicit: false, little: true }) : this;
        o = inner.items(o, end, depth + 1);
      } else {
        this.need(o, length);
        if (depth === 0 && this.capture.has(tag) && !this.values.has(tag)) this.values.set(tag, [o, length]);
        o += length;
      }
    }
    if (inUndefinedItem) throw new DicomParseError(Code.Truncated, 'file ends inside an item');
    return o;
  }

  /** Items of an undefined-length sequence (or encapsulated pixel data fragments) up to (FFFE,E0DD). */
  items(offset: number, end: number, depth: number): number {
    let o = offset;
    for (;;) {
      this.need(o, 8);
      // Item and delimitation tags are always little endian in LE syntaxes and follow the syntax otherwise.
      const tag = this.tag(o);
      const length = this.u32(o + 4);
      o += 8;
      if (tag === SEQ_END) return o;
      if (tag !== ITEM) throw new DicomParseError(Code.Malformed, 'expected an item in a sequence');
      if (length === UNDEFINED) {
        o = this.dataset(o, end, depth, true);
      } else {
        this.need(o, length);
        o += length;
      }
    }
  }
}

function readMetaString(buf: Buffer, offset: number, length: number): string {
  return buf.toString('latin1', offset, offset + length).replace(/[\0 ]+$/, '');
}

/**
 * Checks the framing of a Part 10 file before any full parser touches it: preamble and DICM, a file meta
 * group with its group length and a transfer syntax, and element lengths that fit inside the file (so a
 * truncated file or a declared length of 0xFFFFFFFE is reported, not read past or looped over).
 */
export function checkPart10Structure(buf: Buffer, capture: ReadonlySet<number> = NONE): Part10Structure {
  if (buf.length < 132 || buf.toString('latin1', 128, 132) !== 'DICM') {
    throw new DicomParseError(Code.NotDicom, 'no DICM marker after the 128-byte preamble');
  }
  if (buf.length < 144 || buf.readUInt16LE(132) !== 0x0002 || buf.readUInt16LE(134) !== 0x0000) {
    throw new DicomParseError(Code.NoFileMeta, 'file meta information group length (0002,0000) missing');
  }
  if (buf.toString('latin1', 136, 138) !== 'UL' || buf.readUInt16LE(138) !== 4) {
    throw new DicomParseError(Code.NoFileMeta, 'file meta information group length (0002,0000) malformed');
  }
  const metaEnd = 144 + buf.readUInt32LE(140);
  if (metaEnd > buf.length) throw new DicomParseError(Code.Truncated, 'file ends inside the file meta group');
  const meta = new Walker(buf, { explicit: true, little: true });
  meta.dataset(144, metaEnd, 0, false);
  let transferSyntaxUid: string | undefined;
  const metaValues = new Map<number, ValueSpan>();
  for (let o = 144; o + 8 <= metaEnd; ) {
    const group = buf.readUInt16LE(o);
    const element = buf.readUInt16LE(o + 2);
    if (group !== 0x0002) throw new DicomParseError(Code.Malformed, 'non-meta element inside the file meta group');
    const vr = buf.toString('latin1', o + 4, o + 6);
    const long = LONG_VRS.has(vr);
    const length = long ? buf.readUInt32LE(o + 8) : buf.readUInt16LE(o + 6);
    const valueAt = o + (long ? 12 : 8);
    if (element === 0x0010) transferSyntaxUid = readMetaString(buf, valueAt, length);
    if (!metaValues.has((0x00020000 | element) >>> 0)) metaValues.set((0x00020000 | element) >>> 0, [valueAt, length]);
    o = valueAt + length;
  }
  if (!transferSyntaxUid) throw new DicomParseError(Code.NoTransferSyntax, 'transfer syntax UID (0002,0010) missing');
  if (transferSyntaxUid === TS.deflatedExplicitLittle) {
    // Inflating on receipt is a decompression-bomb risk; such senders can negotiate another syntax.
    throw new DicomParseError(Code.UnsupportedTransferSyntax, 'deflated transfer syntax is not accepted');
  }
  const syntax: Syntax =
    transferSyntaxUid === TS.implicitLittle
      ? { explicit: false, little: true }
      : transferSyntaxUid === TS.explicitBig
        ? { explicit: true, little: false }
        : { explicit: true, little: true };
  const walker = new Walker(buf, syntax, capture);
  walker.dataset(metaEnd, buf.length, 0, false);
  return { transferSyntaxUid, datasetOffset: metaEnd, pixelDataOffset: walker.pixelDataAt, values: walker.values, metaValues };
}
