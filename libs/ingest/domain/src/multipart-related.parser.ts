/** One step of a multipart body, in order: a part's headers, its bytes (any number of chunks), its end. */
export type MultipartEvent =
  | { type: 'part'; index: number; headers: Record<string, string> }
  | { type: 'data'; chunk: Buffer }
  | { type: 'end-part' };

export enum MultipartErrorCode {
  InvalidBoundary = 'INVALID_BOUNDARY',
  Malformed = 'MALFORMED',
  HeadersTooLarge = 'HEADERS_TOO_LARGE',
  TooManyParts = 'TOO_MANY_PARTS',
  Incomplete = 'INCOMPLETE',
}

export class MultipartError extends Error {
  constructor(
    readonly code: MultipartErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'MultipartError';
  }
}

export interface MultipartLimits {
  /** Bytes of one part's header block (default 16 KiB). */
  maxHeaderBytes?: number;
  /** Parts in one body (default 10,000). */
  maxParts?: number;
}

type State = 'preamble' | 'after-delimiter' | 'headers' | 'body' | 'epilogue';

const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');
// RFC 2046 5.1.1 bchars; 1 to 70 characters, not ending in a space.
const BOUNDARY = /^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/;

function parseHeaderBlock(block: string): Record<string, string> {
  const headers: Record<string, string> = {};
  let last: string | undefined;
  for (const line of block.split('\r\n')) {
    if (line === '') continue;
    if ((line[0] === ' ' || line[0] === '\t') && last) {
      headers[last] += ` ${line.trim()}`; // obsolete line folding
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw new MultipartError(MultipartErrorCode.Malformed, 'part header line without a name');
    last = line.slice(0, colon).trim().toLowerCase();
    headers[last] = line.slice(colon + 1).trim();
  }
  return headers;
}

/**
 * A push parser for multipart bodies (RFC 2046; used for multipart/related, which busboy does not accept).
 * It keeps at most one delimiter's length of body bytes back between writes, so a part of any size flows
 * through in bounded memory, and a delimiter split across chunks is still found.
 */
export class MultipartRelatedParser {
  private readonly delimiter: Buffer;
  private readonly maxHeaderBytes: number;
  private readonly maxParts: number;
  // The body is treated as if it began with CRLF, so a first delimiter at offset 0 matches like the others.
  private pending: Buffer = Buffer.from(CRLF);
  private state: State = 'preamble';
  private parts = 0;

  constructor(boundary: string, limits: MultipartLimits = {}) {
    if (!BOUNDARY.test(boundary)) throw new MultipartError(MultipartErrorCode.InvalidBoundary, 'invalid multipart boundary');
    this.delimiter = Buffer.from(`\r\n--${boundary}`, 'latin1');
    this.maxHeaderBytes = limits.maxHeaderBytes ?? 16 * 1024;
    this.maxParts = limits.maxParts ?? 10_000;
  }

  /** True once the closing delimiter has been seen. */
  get complete(): boolean {
    return this.state === 'epilogue';
  }

  /** Feeds bytes; returns the events they complete. Data chunks may share memory with `chunk`. */
  write(chunk: Buffer): MultipartEvent[] {
    if (this.state === 'epilogue') return [];
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const events: MultipartEvent[] = [];
    while (this.step(events));
    return events;
  }

  /** Signals the end of the body; throws if it ended before the closing delimiter. */
  end(): MultipartEvent[] {
    if (this.state !== 'epilogue') {
      throw new MultipartError(MultipartErrorCode.Incomplete, 'body ended before the closing boundary');
    }
    return [];
  }

  /** Runs one state transition; returns false when more input is needed. */
  private step(events: MultipartEvent[]): boolean {
    const buf = this.pending;
    switch (this.state) {
      case 'preamble': {
        const at = buf.indexOf(this.delimiter);
        if (at === -1) {
          this.keepTail(buf);
          return false;
        }
        this.pending = buf.subarray(at + this.delimiter.length);
        this.state = 'after-delimiter';
        return true;
      }
      case 'after-delimiter': {
        if (buf.length < 2) return false;
        if (buf[0] === 0x2d && buf[1] === 0x2d) {
          this.state = 'epilogue';
          this.pending = Buffer.alloc(0);
          return false;
        }
        let i = 0;
        while (i < buf.length && (buf[i] === 0x20 || buf[i] === 0x09)) i++; // transport padding
        if (buf.length - i < 2) {
          if (i > 256) throw new MultipartError(MultipartErrorCode.Malformed, 'too much padding after a boundary');
          return false;
        }
        if (buf[i] !== 0x0d || buf[i + 1] !== 0x0a) throw new MultipartError(MultipartErrorCode.Malformed, 'boundary not followed by CRLF');
        this.pending = buf.subarray(i + 2);
        this.state = 'headers';
        return true;
      }
      case 'headers': {
        let headerEnd: number;
        let bodyStart: number;
        if (buf.length >= 2 && buf[0] === 0x0d && buf[1] === 0x0a) {
          headerEnd = 0; // a part without headers
          bodyStart = 2;
        } else {
          headerEnd = buf.indexOf(HEADER_END);
          if (headerEnd === -1) {
            if (buf.length > this.maxHeaderBytes) throw new MultipartError(MultipartErrorCode.HeadersTooLarge, 'part headers too large');
            return false;
          }
          bodyStart = headerEnd + 4;
        }
        if (headerEnd > this.maxHeaderBytes) throw new MultipartError(MultipartErrorCode.HeadersTooLarge, 'part headers too large');
        if (this.parts >= this.maxParts) throw new MultipartError(MultipartErrorCode.TooManyParts, 'too many parts');
        events.push({ type: 'part', index: this.parts++, headers: parseHeaderBlock(buf.toString('latin1', 0, headerEnd)) });
        this.pending = buf.subarray(bodyStart);
        this.state = 'body';
        return true;
      }
      case 'body': {
        const at = buf.indexOf(this.delimiter);
        if (at === -1) {
          const safe = buf.length - (this.delimiter.length - 1);
          if (safe > 0) {
            events.push({ type: 'data', chunk: buf.subarray(0, safe) });
            this.pending = buf.subarray(safe);
          }
          return false;
        }
        if (at > 0) events.push({ type: 'data', chunk: buf.subarray(0, at) });
        events.push({ type: 'end-part' });
        this.pending = buf.subarray(at + this.delimiter.length);
        this.state = 'after-delimiter';
        return true;
      }
      case 'epilogue':
        return false;
    }
  }

  private keepTail(buf: Buffer): void {
    const keep = Math.min(buf.length, this.delimiter.length - 1);
    this.pending = Buffer.from(buf.subarray(buf.length - keep));
  }
}

/**
 * Parses a multipart body from an async byte source (a Node request stream). Pulls the next chunk only
 * when the consumer asks for the next event, so a slow disk write back-pressures the upload.
 */
export async function* parseMultipartStream(
  source: AsyncIterable<Buffer | Uint8Array | string>,
  boundary: string,
  limits?: MultipartLimits,
): AsyncGenerator<MultipartEvent> {
  const parser = new MultipartRelatedParser(boundary, limits);
  for await (const chunk of source) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    yield* parser.write(buf);
    if (parser.complete) return;
  }
  yield* parser.end();
}
