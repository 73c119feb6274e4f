// Test helpers (not exported): a raw DICOM upper-layer peer that can send what dcmtk never would, and
// runners for the dcmtk tools. Sockets set TCP_NODELAY, as the mesh's do.
import { execFile } from 'node:child_process';
import { connect, type Socket } from 'node:net';

export interface ProposedContext {
  id: number;
  abstract: string;
  transferSyntaxes: string[];
}

function item(type: number, body: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head[0] = type;
  head.writeUInt16BE(body.length, 2);
  return Buffer.concat([head, body]);
}

function pdu(type: number, body: Buffer): Buffer {
  const head = Buffer.alloc(6);
  head[0] = type;
  head.writeUInt32BE(body.length, 2);
  return Buffer.concat([head, body]);
}

function ae(title: string): Buffer {
  return Buffer.from(title.padEnd(16, ' '), 'latin1');
}

/** An A-ASSOCIATE-RQ PDU (PS3.8 9.3.2). */
export function associateRq(opts: { called: string; calling: string; contexts: ProposedContext[]; maxPdu?: number }): Buffer {
  const fixed = Buffer.concat([Buffer.from([0, 1, 0, 0]), ae(opts.called), ae(opts.calling), Buffer.alloc(32)]);
  const appContext = item(0x10, Buffer.from('1.2.840.10008.3.1.1.1', 'latin1'));
  const contexts = opts.contexts.map((c) =>
    item(
      0x20,
      Buffer.concat([
        Buffer.from([c.id, 0, 0, 0]),
        item(0x30, Buffer.from(c.abstract, 'latin1')),
        ...c.transferSyntaxes.map((ts) => item(0x40, Buffer.from(ts, 'latin1'))),
      ]),
    ),
  );
  const maxLength = Buffer.alloc(4);
  maxLength.writeUInt32BE(opts.maxPdu ?? 16384);
  const userInfo = item(0x50, Buffer.concat([item(0x51, maxLength), item(0x52, Buffer.from('1.2.3.4.5', 'latin1'))]));
  return pdu(0x01, Buffer.concat([fixed, appContext, ...contexts, userInfo]));
}

/** A P-DATA-TF PDU with one PDV. */
export function pData(contextId: number, value: Buffer, opts: { command: boolean; last: boolean }): Buffer {
  const head = Buffer.alloc(6);
  head.writeUInt32BE(value.length + 2, 0);
  head[4] = contextId;
  head[5] = (opts.command ? 1 : 0) | (opts.last ? 2 : 0);
  return pdu(0x04, Buffer.concat([head, value]));
}

export const releaseRq = (): Buffer => pdu(0x05, Buffer.alloc(4));
export const abortRq = (): Buffer => pdu(0x07, Buffer.alloc(4));

function element(tag: number, value: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt16LE(tag >>> 16, 0);
  head.writeUInt16LE(tag & 0xffff, 2);
  head.writeUInt32LE(value.length, 4);
  return Buffer.concat([head, value]);
}

const ui = (v: string): Buffer => Buffer.from(v.length % 2 ? `${v}\0` : v, 'latin1');
const us = (v: number): Buffer => Buffer.from([v & 0xff, v >> 8]);

/** A C-STORE-RQ command set (implicit VR little endian, group 0000). */
export function cStoreCommand(opts: { sopClass: string; sopInstance: string; messageId: number }): Buffer {
  const rest = Buffer.concat([
    element(0x00000002, ui(opts.sopClass)),
    element(0x00000100, us(0x0001)),
    element(0x00000110, us(opts.messageId)),
    element(0x00000700, us(0)),
    element(0x00000800, us(0)),
    element(0x00001000, ui(opts.sopInstance)),
  ]);
  const length = Buffer.alloc(4);
  length.writeUInt32LE(rest.length);
  return Buffer.concat([element(0x00000000, length), rest]);
}

/** The data set of a Part 10 file (what C-STORE carries): what follows the meta group, however bad. */
export function datasetOf(file: Buffer): { dataset: Buffer } {
  return { dataset: file.subarray(144 + file.readUInt32LE(140)) };
}

/** Reads (0000,0900) Status from a command PDV value. */
export function commandStatus(value: Buffer): number | undefined {
  for (let o = 0; o + 8 <= value.length; ) {
    const tag = ((value.readUInt16LE(o) << 16) | value.readUInt16LE(o + 2)) >>> 0;
    const length = value.readUInt32LE(o + 4);
    if (tag === 0x00000900) return value.readUInt16LE(o + 8);
    o += 8 + length;
  }
  return undefined;
}

export interface ReceivedPdu {
  type: number;
  body: Buffer;
}

/** A raw upper-layer peer: writes bytes, reads whole PDUs, notices the close. */
export class RawPeer {
  private buffer = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  closed = false;

  private constructor(readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.notify();
    });
    socket.on('close', () => {
      this.closed = true;
      this.notify();
    });
    socket.on('error', () => undefined);
  }

  static open(port: number): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => resolve(new RawPeer(socket)));
      socket.once('error', reject);
    });
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private wait(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  send(data: Buffer): void {
    this.socket.write(data);
  }

  /** The next whole PDU, or undefined when the mesh closed the connection first. */
  async next(timeoutMs = 15_000): Promise<ReceivedPdu | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.buffer.length >= 6) {
        const length = this.buffer.readUInt32BE(2);
        if (this.buffer.length >= 6 + length) {
          const out = { type: this.buffer[0], body: this.buffer.subarray(6, 6 + length) };
          this.buffer = this.buffer.subarray(6 + length);
          return out;
        }
      }
      if (this.closed) return undefined;
      if (Date.now() > deadline) throw new Error('no PDU from the mesh in time');
      await Promise.race([this.wait(), new Promise((r) => setTimeout(r, 200))]);
    }
  }

  /** Resolves once the mesh has closed the connection. */
  async untilClosed(timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('the mesh kept the connection open');
      await Promise.race([this.wait(), new Promise((r) => setTimeout(r, 200))]);
    }
  }

  /** Associates with the contexts; returns the A-ASSOCIATE-AC/RJ PDU. */
  async associate(called: string, calling: string, contexts: ProposedContext[]): Promise<ReceivedPdu | undefined> {
    this.send(associateRq({ called, calling, contexts }));
    return this.next();
  }

  /** Sends one C-STORE (command + data set in fragments of `fragment` bytes) and returns the response status. */
  async store(contextId: number, opts: { sopClass: string; sopInstance: string; dataset: Buffer; messageId?: number; fragment?: number }): Promise<number | undefined> {
    this.send(pData(contextId, cStoreCommand({ sopClass: opts.sopClass, sopInstance: opts.sopInstance, messageId: opts.messageId ?? 1 }), { command: true, last: true }));
    const size = opts.fragment ?? 16_000;
    for (let o = 0; o < opts.dataset.length || o === 0; o += size) {
      const last = o + size >= opts.dataset.length;
      this.send(pData(contextId, opts.dataset.subarray(o, o + size), { command: false, last }));
      if (last) break;
    }
    const answer = await this.next();
    if (!answer || answer.type !== 0x04) return undefined;
    return commandStatus(answer.body.subarray(6));
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Presentation context results in an A-ASSOCIATE-AC, by context id. */
export function acceptedContexts(ac: ReceivedPdu): Map<number, { result: number; transferSyntax?: string }> {
  const out = new Map<number, { result: number; transferSyntax?: string }>();
  for (let o = 68; o + 4 <= ac.body.length; ) {
    const type = ac.body[o];
    const length = ac.body.readUInt16BE(o + 2);
    if (type === 0x21) {
      const id = ac.body[o + 4];
      const result = ac.body[o + 6];
      const ts = ac.body.subarray(o + 8 + 4, o + 4 + length).toString('latin1').replace(/\0+$/, '');
      out.set(id, { result, ...(result === 0 ? { transferSyntax: ts } : {}) });
    }
    o += 4 + length;
  }
  return out;
}

export interface ToolRun {
  code: number;
  output: string;
}

/** Runs a dcmtk tool (TCP_NODELAY=1) without blocking the event loop the mesh runs on. */
export function dcmtk(tool: string, args: string[], timeoutMs = 120_000): Promise<ToolRun> {
  return new Promise((resolve) => {
    execFile(tool, args, { env: { ...process.env, TCP_NODELAY: '1' }, timeout: timeoutMs, maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}
