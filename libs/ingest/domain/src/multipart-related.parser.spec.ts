import { Readable } from 'node:stream';
import { parseMediaType, splitAcceptHeader } from './media-type';
import { MultipartError, MultipartErrorCode, MultipartRelatedParser, parseMultipartStream, type MultipartEvent } from './multipart-related.parser';

const B = 'b0undary-X';

interface Part {
  headers: Record<string, string>;
  body: Buffer;
}

function encode(parts: Array<{ headers?: string[]; body: Buffer }>, opts: { leadingCrlf?: boolean; preamble?: string; epilogue?: string } = {}): Buffer {
  const chunks: Buffer[] = [];
  if (opts.preamble) chunks.push(Buffer.from(`${opts.preamble}\r\n`));
  else if (opts.leadingCrlf) chunks.push(Buffer.from('\r\n'));
  parts.forEach((p, i) => {
    chunks.push(Buffer.from(`${i === 0 ? '' : '\r\n'}--${B}\r\n${(p.headers ?? []).map((h) => `${h}\r\n`).join('')}\r\n`));
    chunks.push(p.body);
  });
  chunks.push(Buffer.from(`\r\n--${B}--`));
  if (opts.epilogue) chunks.push(Buffer.from(`\r\n${opts.epilogue}`));
  return Buffer.concat(chunks);
}

/** Feeds `chunks` to a parser and folds the events back into parts, checking the event order. */
function collect(chunks: Buffer[]): Part[] {
  const parser = new MultipartRelatedParser(B);
  const events: MultipartEvent[] = [];
  for (const c of chunks) events.push(...parser.write(c));
  events.push(...parser.end());
  const parts: Part[] = [];
  let open: { headers: Record<string, string>; data: Buffer[] } | undefined;
  for (const e of events) {
    if (e.type === 'part') {
      expect(open).toBeUndefined();
      expect(e.index).toBe(parts.length);
      open = { headers: e.headers, data: [] };
    } else if (e.type === 'data') {
      expect(open).toBeDefined();
      open!.data.push(Buffer.from(e.chunk));
    } else {
      parts.push({ headers: open!.headers, body: Buffer.concat(open!.data) });
      open = undefined;
    }
  }
  expect(open).toBeUndefined();
  return parts;
}

// Bodies that contain near-boundaries, CRLFs and dashes, so a naive search would split them.
const tricky = [
  Buffer.concat([Buffer.from('DICM'), Buffer.from(`\r\n--${B.slice(0, -1)}`), Buffer.from('\r\n-'), Buffer.from(`--${B}`)]),
  Buffer.from(''),
  Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 31) % 256)),
];
const body = encode(
  tricky.map((b, i) => ({ headers: ['Content-Type: application/dicom', `X-Index: ${i}`], body: b })),
  { preamble: 'ignored preamble', epilogue: 'ignored epilogue' },
);

describe('MultipartRelatedParser', () => {
  it('parses a whole body in one chunk', () => {
    const parts = collect([body]);
    expect(parts.map((p) => p.body.toString('hex'))).toEqual(tricky.map((b) => b.toString('hex')));
    expect(parts[2].headers).toEqual({ 'content-type': 'application/dicom', 'x-index': '2' });
  });

  it('gives the same parts wherever the body is split in two (boundary split across chunks)', () => {
    for (let cut = 0; cut <= body.length; cut++) {
      const parts = collect([body.subarray(0, cut), body.subarray(cut)]);
      expect(parts.map((p) => p.body.toString('hex'))).toEqual(tricky.map((b) => b.toString('hex')));
    }
  });

  it('gives the same parts when fed one byte at a time and in uneven chunks', () => {
    const bytes = Array.from(body, (_, i) => body.subarray(i, i + 1));
    expect(collect(bytes).map((p) => p.body.length)).toEqual(tricky.map((b) => b.length));
    const uneven: Buffer[] = [];
    for (let i = 0, n = 1; i < body.length; i += n, n = (n * 7) % 23 + 1) uneven.push(body.subarray(i, i + n));
    expect(collect(uneven).map((p) => p.body.toString('hex'))).toEqual(tricky.map((b) => b.toString('hex')));
  });

  it('accepts the dicomweb-client framing (leading CRLF, no CRLF after the close) and a part without headers', () => {
    const parts = collect([encode([{ body: Buffer.from('abc') }, { headers: ['Content-Type: application/dicom'], body: Buffer.from('x') }], { leadingCrlf: true })]);
    expect(parts).toEqual([
      { headers: {}, body: Buffer.from('abc') },
      { headers: { 'content-type': 'application/dicom' }, body: Buffer.from('x') },
    ]);
  });

  it('handles folded header lines and transport padding after a boundary', () => {
    const raw = Buffer.from(`--${B}  \t\r\nContent-Type: application/dicom;\r\n transfer-syntax=1.2.840.10008.1.2.1\r\n\r\nZ\r\n--${B}--\r\n`);
    expect(collect([raw])).toEqual([{ headers: { 'content-type': 'application/dicom; transfer-syntax=1.2.840.10008.1.2.1' }, body: Buffer.from('Z') }]);
  });

  it('streams a large part without holding it: memory kept between writes stays below one delimiter', () => {
    const parser = new MultipartRelatedParser(B);
    parser.write(Buffer.from(`--${B}\r\nContent-Type: application/dicom\r\n\r\n`));
    let passed = 0;
    const chunk = Buffer.alloc(64 * 1024, 7);
    for (let i = 0; i < 200; i++) {
      for (const e of parser.write(chunk)) if (e.type === 'data') passed += e.chunk.length;
      expect(passed).toBeGreaterThanOrEqual((i + 1) * chunk.length - (B.length + 4));
    }
  });

  it.each([
    ['no closing boundary', Buffer.from(`--${B}\r\n\r\nabc`), MultipartErrorCode.Incomplete],
    ['no boundary at all', Buffer.from('just some bytes'), MultipartErrorCode.Incomplete],
    ['garbage after a boundary', Buffer.from(`--${B}xyz\r\n\r\nabc\r\n--${B}--`), MultipartErrorCode.Malformed],
    ['a header line without a name', Buffer.from(`--${B}\r\n: nameless\r\n\r\nabc\r\n--${B}--`), MultipartErrorCode.Malformed],
    ['headers that never end', Buffer.concat([Buffer.from(`--${B}\r\nX: `), Buffer.alloc(20000, 0x61)]), MultipartErrorCode.HeadersTooLarge],
  ])('reports %s', (_name, raw, code) => {
    const parser = new MultipartRelatedParser(B);
    let caught: unknown;
    try {
      parser.write(raw);
      parser.end();
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(MultipartError);
    expect((caught as MultipartError).code).toBe(code);
  });

  it('limits the number of parts', () => {
    const raw = encode(Array.from({ length: 5 }, () => ({ body: Buffer.from('x') })));
    expect(() => new MultipartRelatedParser(B, { maxParts: 4 }).write(raw)).toThrow(MultipartError);
  });

  it('rejects invalid boundaries', () => {
    for (const b of ['', 'x'.repeat(71), 'bad"quote', 'ends-with-space ']) {
      expect(() => new MultipartRelatedParser(b)).toThrow(MultipartError);
    }
  });
});

describe('parseMultipartStream', () => {
  it('parses a Node stream and stops at the closing boundary', async () => {
    const chunks = [body.subarray(0, 10), body.subarray(10, 2000), body.subarray(2000)];
    const sizes: number[] = [];
    let current = 0;
    for await (const e of parseMultipartStream(Readable.from(chunks), B)) {
      if (e.type === 'data') current += e.chunk.length;
      if (e.type === 'end-part') {
        sizes.push(current);
        current = 0;
      }
    }
    expect(sizes).toEqual(tricky.map((b) => b.length));
  });

  it('throws when the stream ends early', async () => {
    const run = async () => {
      for await (const _ of parseMultipartStream(Readable.from([body.subarray(0, 2000)]), B)) void _;
    };
    await expect(run()).rejects.toMatchObject({ code: MultipartErrorCode.Incomplete });
  });
});

describe('parseMediaType', () => {
  it('parses the STOW-RS content type with quoted parameters', () => {
    expect(parseMediaType('Multipart/Related; type="application/dicom"; boundary="a b;c\\"d"')).toEqual({
      type: 'multipart/related',
      params: { type: 'application/dicom', boundary: 'a b;c"d' },
    });
    expect(parseMediaType('multipart/related;boundary=abc;type=application/dicom')).toEqual({
      type: 'multipart/related',
      params: { boundary: 'abc', type: 'application/dicom' },
    });
  });

  it('returns undefined for malformed values', () => {
    expect(parseMediaType(undefined)).toBeUndefined();
    expect(parseMediaType('nonsense')).toBeUndefined();
    expect(parseMediaType('a/b; boundary="unterminated')).toBeUndefined();
  });

  it('splits Accept headers', () => {
    expect(splitAcceptHeader('multipart/related; type="application/dicom"; transfer-syntax=*, application/json;q=0.5').map((m) => m.type)).toEqual([
      'multipart/related',
      'application/json',
    ]);
  });
});
