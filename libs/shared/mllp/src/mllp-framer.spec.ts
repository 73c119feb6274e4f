import { MllpDecoder, mllpFrame } from './mllp-framer';

const msg = (id: string) => Buffer.from(`MSH|^~\\&|RIS|H|MESH|T|20260101||ORM^O01|${id}|P|2.5\rPID|1||P1`);
const payloads = (frames: ReturnType<MllpDecoder['push']>) => frames.map((f) => (f.kind === 'message' ? f.payload.toString() : f.kind));

describe('MllpDecoder', () => {
  it('reads one framed message', () => {
    expect(payloads(new MllpDecoder(1 << 20).push(mllpFrame(msg('1'))))).toEqual([msg('1').toString()]);
  });

  it('waits for end bytes that arrive in a later segment, byte by byte', () => {
    const d = new MllpDecoder(1 << 20);
    const frame = mllpFrame(msg('1'));
    expect(d.push(frame.subarray(0, frame.length - 2))).toEqual([]);
    expect(d.push(frame.subarray(frame.length - 2, frame.length - 1))).toEqual([]);
    expect(payloads(d.push(frame.subarray(frame.length - 1)))).toEqual([msg('1').toString()]);
    expect(d.buffered).toBe(0);
  });

  it('splits several messages in one read', () => {
    const d = new MllpDecoder(1 << 20);
    expect(payloads(d.push(Buffer.concat([mllpFrame(msg('1')), mllpFrame(msg('2')), mllpFrame(msg('3'))])))).toEqual(['1', '2', '3'].map((i) => msg(i).toString()));
  });

  it('accepts a frame without the 0x0B start block and says so', () => {
    const frames = new MllpDecoder(1 << 20).push(Buffer.concat([msg('1'), Buffer.from([0x1c, 0x0d])]));
    expect(frames).toEqual([{ kind: 'message', payload: msg('1'), missingStartBlock: true }]);
  });

  it('accepts <FS> followed by LF or CRLF, and drops garbage between frames', () => {
    const d = new MllpDecoder(1 << 20);
    const lf = Buffer.concat([Buffer.from([0x0b]), msg('1'), Buffer.from([0x1c, 0x0a])]);
    const crlf = Buffer.concat([Buffer.from([0x0b]), msg('2'), Buffer.from([0x1c, 0x0d, 0x0a])]);
    const frames = d.push(Buffer.concat([lf, Buffer.from('xx'), crlf]));
    expect(payloads(frames)).toEqual([msg('1').toString(), 'garbage', msg('2').toString()]);
  });

  it('reports an oversize frame once, skips it, and reads the next one', () => {
    const d = new MllpDecoder(64);
    const big = mllpFrame(Buffer.concat([msg('1'), Buffer.alloc(500, 0x41)]));
    const first = d.push(big.subarray(0, 200));
    expect(first.map((f) => f.kind)).toEqual(['oversize']);
    expect(payloads(d.push(Buffer.concat([big.subarray(200), mllpFrame(Buffer.from('MSH|x'))])))).toEqual(['MSH|x']);
  });
});
