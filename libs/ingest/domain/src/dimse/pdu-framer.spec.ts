import { AbortReason, abortPdu, PduFramer, PduViolation, pdvHeaders } from './pdu-framer';

const limits = { maxPDataBytes: 1024, maxAssociateRqBytes: 4096 };

function pdu(type: number, body: Buffer): Buffer {
  const head = Buffer.alloc(6);
  head[0] = type;
  head.writeUInt32BE(body.length, 2);
  return Buffer.concat([head, body]);
}

function violation(fn: () => unknown): PduViolation {
  try {
    fn();
  } catch (err) {
    if (err instanceof PduViolation) return err;
    throw err;
  }
  throw new Error('no violation');
}

describe('PduFramer', () => {
  it('frames PDUs split across reads and several PDUs in one read', () => {
    const framer = new PduFramer(limits);
    const rq = pdu(0x01, Buffer.alloc(100));
    expect(framer.push(rq.subarray(0, 3))).toEqual([]);
    expect(framer.push(rq.subarray(3, 50))).toEqual([]);
    expect(framer.push(rq.subarray(50))).toEqual([rq]);
    framer.accepted();
    const data = pdu(0x04, Buffer.from([0, 0, 0, 3, 1, 3, 0xaa]));
    expect(framer.push(Buffer.concat([data, data, pdu(0x05, Buffer.alloc(4))]))).toEqual([data, data, pdu(0x05, Buffer.alloc(4))]);
  });

  it('gives back the same PDUs however the byte stream is cut into reads', () => {
    const body = (n: number, seed: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff));
    const rq = pdu(0x01, body(100, 1));
    const pdus = [pdu(0x04, body(1000, 2)), pdu(0x04, body(7, 3)), pdu(0x04, body(1018, 4)), pdu(0x04, body(1, 5)), pdu(0x05, Buffer.alloc(4))];
    const stream = Buffer.concat(pdus);
    let seed = 12345;
    const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (const maxRead of [1, 2, 5, 6, 7, 13, 500, 1006, 1500, 4000]) {
      for (let round = 0; round < 20; round++) {
        const framer = new PduFramer(limits);
        expect(framer.push(rq)).toEqual([rq]);
        framer.accepted();
        const out: Buffer[] = [];
        for (let o = 0; o < stream.length; ) {
          const n = Math.max(1, Math.ceil(random() * maxRead));
          out.push(...framer.push(stream.subarray(o, o + n)));
          o += n;
        }
        expect(out.map((b) => b.toString('hex'))).toEqual(pdus.map((b) => b.toString('hex')));
      }
    }
  });

  it('refuses a declared length above the limits before buffering it (BAD-INPUTS 3)', () => {
    const framer = new PduFramer(limits);
    expect(violation(() => framer.push(Buffer.from([0x01, 0, 0xff, 0xff, 0xff, 0xff]))).reason).toBe(AbortReason.InvalidPduParameter);
    const established = new PduFramer(limits);
    established.push(pdu(0x01, Buffer.alloc(100)));
    established.accepted();
    expect(violation(() => established.push(Buffer.from([0x04, 0, 0, 0, 4, 1]))).reason).toBe(AbortReason.InvalidPduParameter);
  });

  it('refuses what is not a PDU, and PDUs out of order (BAD-INPUTS 3, 7)', () => {
    expect(violation(() => new PduFramer(limits).push(Buffer.from('GET / HTTP/1.1\r\n'))).reason).toBe(AbortReason.UnrecognizedPdu);
    expect(violation(() => new PduFramer(limits).push(pdu(0x04, Buffer.alloc(8)))).reason).toBe(AbortReason.UnexpectedPdu);
    const framer = new PduFramer(limits);
    framer.push(pdu(0x01, Buffer.alloc(100)));
    framer.accepted();
    expect(violation(() => framer.push(pdu(0x01, Buffer.alloc(100)))).reason).toBe(AbortReason.UnexpectedPdu);
    expect(violation(() => new PduFramer(limits).push(pdu(0x02, Buffer.alloc(100)))).reason).toBe(AbortReason.UnexpectedPdu);
  });

  it('reads PDV headers and refuses items that leave their PDU', () => {
    expect(pdvHeaders(Buffer.from([0, 0, 0, 3, 5, 3, 0xaa, 0, 0, 0, 2, 7, 0]))).toEqual([
      { contextId: 5, command: true, last: true },
      { contextId: 7, command: false, last: false },
    ]);
    expect(() => pdvHeaders(Buffer.from([0, 0, 0, 9, 5, 3]))).toThrow(PduViolation);
  });

  it('builds a provider A-ABORT', () => {
    expect([...abortPdu(AbortReason.UnexpectedPdu)]).toEqual([0x07, 0, 0, 0, 0, 4, 0, 0, 2, 2]);
  });
});
