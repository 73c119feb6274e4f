/**
 * Upper-layer PDU framing (PS3.8 9.3) checked before the DIMSE library sees a byte. dcmjs-dimse 0.3.3
 * accumulates a PDU of whatever length the peer declares (0xFFFFFFFF means 4 GiB of buffering), parses a
 * second A-ASSOCIATE-RQ as a new association, and accepts P-DATA before negotiation; this framer refuses
 * all three, so the library only ever receives whole, plausibly sized PDUs in a legal order.
 */

export enum PduType {
  AssociateRq = 0x01,
  AssociateAc = 0x02,
  AssociateRj = 0x03,
  PDataTf = 0x04,
  ReleaseRq = 0x05,
  ReleaseRp = 0x06,
  Abort = 0x07,
}

/** A-ABORT reasons (PS3.8 table 9-26) for a provider-initiated abort. */
export enum AbortReason {
  NotSpecified = 0,
  UnrecognizedPdu = 1,
  UnexpectedPdu = 2,
  InvalidPduParameter = 6,
}

export class PduViolation extends Error {
  constructor(
    readonly reason: AbortReason,
    message: string,
  ) {
    super(message);
    this.name = 'PduViolation';
  }
}

export interface PduLimits {
  /** Largest P-DATA-TF PDU accepted: the Maximum Length the mesh announced in its A-ASSOCIATE-AC. */
  maxPDataBytes: number;
  /** Largest A-ASSOCIATE-RQ accepted (its sub-items: at most 128 presentation contexts are legal). */
  maxAssociateRqBytes: number;
}

/** The smallest legal A-ASSOCIATE-RQ body: protocol version, reserved, two AE titles, reserved 32 bytes. */
const MIN_ASSOCIATE_RQ = 68;
/** Every other control PDU is small and fixed; anything larger is garbage. */
const MAX_CONTROL_PDU = 64;

export type FramerState = 'awaiting-associate' | 'negotiating' | 'established' | 'releasing' | 'closed';

/** P-DATA-TF value item header: 4 length bytes, presentation context id, message control header. */
export interface PdvInfo {
  contextId: number;
  command: boolean;
  last: boolean;
}

/** Splits a P-DATA-TF body into its PDV headers (throws PduViolation on a malformed item list). */
export function pdvHeaders(body: Buffer): PdvInfo[] {
  const out: PdvInfo[] = [];
  let o = 0;
  while (o < body.length) {
    if (o + 6 > body.length) throw new PduViolation(AbortReason.InvalidPduParameter, 'PDV item header truncated');
    const length = body.readUInt32BE(o);
    if (length < 2 || o + 4 + length > body.length) throw new PduViolation(AbortReason.InvalidPduParameter, 'PDV item length outside its PDU');
    const control = body[o + 5];
    out.push({ contextId: body[o + 4], command: (control & 0x01) === 1, last: (control & 0x02) === 2 });
    o += 4 + length;
  }
  if (out.length === 0) throw new PduViolation(AbortReason.InvalidPduParameter, 'P-DATA-TF without a PDV');
  return out;
}

/**
 * Frames a byte stream into whole PDUs and checks type, declared length and order. `push` returns the
 * complete PDUs (header included) in the bytes so far, or throws PduViolation; after a violation the
 * association must be aborted.
 */
export class PduFramer {
  state: FramerState = 'awaiting-associate';
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(private readonly limits: PduLimits) {}

  /** The association was accepted (A-ASSOCIATE-AC sent): P-DATA may follow. */
  accepted(): void {
    if (this.state === 'negotiating') this.state = 'established';
  }

  /** The association was rejected or released by the mesh: nothing more may arrive. */
  finished(): void {
    this.state = 'closed';
  }

  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const out: Buffer[] = [];
    for (;;) {
      if (this.buffered < 6) return out;
      const head = this.peek(6);
      const type = head[0];
      const length = head.readUInt32BE(2);
      this.check(type, length);
      if (this.buffered < 6 + length) return out;
      out.push(this.take(6 + length));
      this.advance(type);
    }
  }

  private check(type: number, length: number): void {
    switch (type) {
      case PduType.AssociateRq:
        if (this.state !== 'awaiting-associate') throw new PduViolation(AbortReason.UnexpectedPdu, 'A-ASSOCIATE-RQ on an association already negotiated');
        if (length < MIN_ASSOCIATE_RQ || length > this.limits.maxAssociateRqBytes) {
          throw new PduViolation(AbortReason.InvalidPduParameter, `A-ASSOCIATE-RQ length ${length} outside 68..${this.limits.maxAssociateRqBytes}`);
        }
        return;
      case PduType.PDataTf:
        if (this.state !== 'established') throw new PduViolation(AbortReason.UnexpectedPdu, 'P-DATA-TF outside an established association');
        if (length > this.limits.maxPDataBytes) throw new PduViolation(AbortReason.InvalidPduParameter, `P-DATA-TF length ${length} above the negotiated maximum`);
        return;
      case PduType.ReleaseRq:
      case PduType.ReleaseRp:
        if (this.state !== 'established' && this.state !== 'releasing') throw new PduViolation(AbortReason.UnexpectedPdu, 'A-RELEASE outside an established association');
        if (length > MAX_CONTROL_PDU) throw new PduViolation(AbortReason.InvalidPduParameter, 'A-RELEASE PDU too long');
        return;
      case PduType.Abort:
        if (length > MAX_CONTROL_PDU) throw new PduViolation(AbortReason.InvalidPduParameter, 'A-ABORT PDU too long');
        return;
      case PduType.AssociateAc:
      case PduType.AssociateRj:
        throw new PduViolation(AbortReason.UnexpectedPdu, 'association response PDU sent to the acceptor');
      default:
        throw new PduViolation(AbortReason.UnrecognizedPdu, `unrecognized PDU type 0x${type.toString(16).padStart(2, '0')}`);
    }
  }

  private advance(type: number): void {
    if (type === PduType.AssociateRq) this.state = 'negotiating';
    else if (type === PduType.ReleaseRq) this.state = 'releasing';
    else if (type === PduType.Abort) this.state = 'closed';
  }

  /** The first n buffered bytes (copies only when they span chunks, and then only those n bytes). */
  private peek(n: number): Buffer {
    if (this.chunks[0].length >= n) return this.chunks[0].subarray(0, n);
    return Buffer.concat(this.chunks, n);
  }

  /**
   * Removes and returns the first n buffered bytes: a view when they lie in one chunk, else one copy of
   * exactly those n bytes; what follows stays as views of the chunks it arrived in (never copied twice).
   */
  private take(n: number): Buffer {
    let whole: Buffer;
    if (this.chunks[0].length >= n) {
      whole = this.chunks[0].subarray(0, n);
      this.chunks[0] = this.chunks[0].subarray(n);
      if (this.chunks[0].length === 0) this.chunks.shift();
    } else {
      whole = Buffer.concat(this.chunks, n);
      let used = 0;
      let i = 0;
      while (i < this.chunks.length && used + this.chunks[i].length <= n) used += this.chunks[i++].length;
      const rest = this.chunks.slice(i);
      if (rest.length > 0) rest[0] = rest[0].subarray(n - used);
      this.chunks = rest.length > 0 && rest[0].length === 0 ? rest.slice(1) : rest;
    }
    this.buffered -= n;
    return whole;
  }
}

/** An A-ABORT PDU from the service provider (source 2) with the given reason. */
export function abortPdu(reason: AbortReason): Buffer {
  return Buffer.from([PduType.Abort, 0, 0, 0, 0, 4, 0, 0, 2, reason]);
}
