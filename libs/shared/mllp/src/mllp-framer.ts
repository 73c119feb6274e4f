/** MLLP release 1 (HL7 v2.x Implementation Guide, appendix C): <VT> message <FS><CR>. */
export const MLLP_START = 0x0b;
export const MLLP_END = 0x1c;
export const MLLP_CR = 0x0d;
const LF = 0x0a;

export type MllpFrame =
  | { kind: 'message'; payload: Buffer; /** the sender left out the 0x0B start block */ missingStartBlock: boolean }
  | { kind: 'oversize'; /** the first bytes of the frame, enough to read MSH for the answer */ head: Buffer }
  | { kind: 'garbage'; bytes: number };

const MSH = Buffer.from('MSH');
/** A frame head kept for an oversize answer: MSH is well within this. */
const HEAD_BYTES = 4096;

/**
 * An incremental MLLP decoder. Feed it every chunk the socket reads; it returns the complete frames in
 * order. It copes with what real senders do: end bytes in a later TCP segment, several messages in one
 * read, a missing 0x0B (a frame that starts with "MSH" is accepted), <FS> followed by LF, CRLF or nothing
 * but the next <VT>. Bytes between frames that are not a message are reported as garbage and dropped.
 * A frame larger than `maxBytes` is reported once (kind `oversize`) and its remaining bytes are skipped.
 */
export class MllpDecoder {
  private buf: Buffer = Buffer.alloc(0);
  private inFrame = false;
  private missingStart = false;
  private skipping = false;
  private pendingFsAt = -1;

  constructor(private readonly maxBytes: number) {}

  push(chunk: Buffer): MllpFrame[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const frames: MllpFrame[] = [];
    for (;;) {
      const frame = this.inFrame ? this.readBody() : this.findStart();
      if (frame === 'need-more') break;
      if (frame) frames.push(frame);
    }
    return frames;
  }

  /** Bytes waiting for the end of a frame (a sender that stopped mid-message). */
  get buffered(): number {
    return this.buf.length;
  }

  private findStart(): MllpFrame | null | 'need-more' {
    // A lone CR/LF after the previous <FS> (CR in a later segment, or LF/CRLF senders) is no garbage.
    let i = 0;
    while (i < this.buf.length && (this.buf[i] === MLLP_CR || this.buf[i] === LF)) i++;
    if (i > 0) this.buf = this.buf.subarray(i);
    if (this.buf.length === 0) return 'need-more';
    const vt = this.buf.indexOf(MLLP_START);
    const msh = this.buf.indexOf(MSH);
    if (vt === 0) {
      this.buf = this.buf.subarray(1);
      return this.enterFrame(false);
    }
    if (msh === 0) return this.enterFrame(true);
    const next = [vt, msh].filter((n) => n > 0);
    if (next.length === 0) {
      // Keep the last two bytes: they may be the start of "MSH" split across reads.
      if (this.buf.length <= 2) return 'need-more';
      const dropped = this.buf.length - 2;
      this.buf = this.buf.subarray(dropped);
      return { kind: 'garbage', bytes: dropped };
    }
    const at = Math.min(...next);
    this.buf = this.buf.subarray(at);
    return { kind: 'garbage', bytes: at };
  }

  private enterFrame(missingStart: boolean): null {
    this.inFrame = true;
    this.missingStart = missingStart;
    this.skipping = false;
    this.pendingFsAt = -1;
    return null;
  }

  private readBody(): MllpFrame | null | 'need-more' {
    const fs = this.pendingFsAt >= 0 ? this.pendingFsAt : this.buf.indexOf(MLLP_END);
    if (fs < 0) {
      if (this.buf.length > this.maxBytes) return this.overflow();
      return 'need-more';
    }
    if (fs > this.maxBytes && !this.skipping) return this.overflow();
    // <FS> must be followed by <CR>; tolerate LF, or the next frame's <VT>, but wait if the byte is not here yet.
    if (fs + 1 >= this.buf.length) {
      this.pendingFsAt = fs;
      return 'need-more';
    }
    this.pendingFsAt = -1;
    const after = this.buf[fs + 1];
    const trailer = after === MLLP_CR || after === LF ? 2 : 1;
    const payload = Buffer.from(this.buf.subarray(0, fs));
    this.buf = this.buf.subarray(fs + trailer);
    this.inFrame = false;
    if (this.skipping) {
      this.skipping = false;
      return null;
    }
    return { kind: 'message', payload, missingStartBlock: this.missingStart };
  }

  /** The frame is too large: report it with its head, then skip its bytes up to the next <FS>. */
  private overflow(): MllpFrame | 'need-more' | null {
    if (this.skipping) {
      // Keep nothing of a skipped frame but the search position.
      this.buf = Buffer.alloc(0);
      return 'need-more';
    }
    this.skipping = true;
    const head = Buffer.from(this.buf.subarray(0, HEAD_BYTES));
    const fs = this.buf.indexOf(MLLP_END);
    this.buf = fs >= 0 ? this.buf.subarray(fs) : Buffer.alloc(0);
    return { kind: 'oversize', head };
  }
}

/** Wraps an HL7 message (already encoded) in an MLLP frame. */
export function mllpFrame(message: Buffer): Buffer {
  return Buffer.concat([Buffer.from([MLLP_START]), message, Buffer.from([MLLP_END, MLLP_CR])]);
}
