import { connect, type Socket } from 'node:net';
import { MllpDecoder, mllpFrame } from './mllp-framer';

export interface MllpClientOptions {
  host: string;
  port: number;
  connectTimeoutMs: number;
  /** A reply frame larger than this is refused (the exchange fails). */
  maxReplyBytes: number;
}

/** Why an exchange failed: `timeout` (no reply in time), `closed` (the peer closed), or a socket error code. */
export class MllpExchangeError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'MllpExchangeError';
  }
}

interface Waiter {
  resolve: (reply: Buffer) => void;
  reject: (err: MllpExchangeError) => void;
  timer: NodeJS.Timeout;
}

/**
 * An MLLP sender on one reused connection: `exchange` sends a framed message and resolves with the next
 * frame the receiver sends back (its ACK), whatever TCP segments that frame arrives in (MllpDecoder:
 * an <FS><CR> in a later read, a missing <VT>, LF trailers). One exchange at a time, as HL7 original mode
 * waits for each ACK; concurrent calls queue. A timeout, a closed or failed connection fail the exchange
 * and drop the connection (a late ACK can never be taken for the next message's); the next exchange
 * reconnects. Nagle is off, so a small message and its ACK are not held back by delayed ACKs.
 */
export class MllpClient {
  private socket: Socket | undefined;
  private decoder: MllpDecoder | undefined;
  private waiter: Waiter | undefined;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: MllpClientOptions) {}

  exchange(message: Buffer, timeoutMs: number): Promise<Buffer> {
    const run = this.tail.then(() => this.exchangeNow(message, timeoutMs));
    this.tail = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    this.drop(new MllpExchangeError('closed', 'client closed'));
  }

  private async exchangeNow(message: Buffer, timeoutMs: number): Promise<Buffer> {
    const socket = this.socket ?? (await this.connect());
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => this.drop(new MllpExchangeError('timeout', `no reply within ${timeoutMs} ms`)), timeoutMs);
      this.waiter = { resolve, reject, timer };
      socket.write(mllpFrame(message));
    });
  }

  private connect(): Promise<Socket> {
    const { host, port, connectTimeoutMs, maxReplyBytes } = this.options;
    return new Promise<Socket>((resolve, reject) => {
      const socket = connect({ host, port, noDelay: true, keepAlive: true });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new MllpExchangeError('ETIMEDOUT', `no connection within ${connectTimeoutMs} ms`));
      }, connectTimeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.off('error', failed);
        this.socket = socket;
        this.decoder = new MllpDecoder(maxReplyBytes);
        socket.on('data', (chunk: Buffer) => this.received(socket, chunk));
        socket.on('error', (err: NodeJS.ErrnoException) => this.dropIf(socket, new MllpExchangeError(err.code ?? 'error', 'connection failed')));
        socket.on('close', () => this.dropIf(socket, new MllpExchangeError('closed', 'the receiver closed the connection')));
        resolve(socket);
      });
      const failed = (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new MllpExchangeError(err.code ?? 'error', 'connection failed'));
      };
      socket.once('error', failed);
    });
  }

  private received(socket: Socket, chunk: Buffer): void {
    if (socket !== this.socket || !this.decoder) return;
    for (const frame of this.decoder.push(chunk)) {
      if (frame.kind === 'garbage') continue;
      const waiter = this.waiter;
      if (!waiter) {
        // A frame nobody waits for (a late ACK after a timeout is impossible: that connection was dropped).
        this.drop(new MllpExchangeError('unexpected', 'reply without a message'));
        return;
      }
      if (frame.kind === 'oversize') {
        this.drop(new MllpExchangeError('oversize', 'reply larger than allowed'));
        return;
      }
      this.waiter = undefined;
      clearTimeout(waiter.timer);
      waiter.resolve(frame.payload);
    }
  }

  private dropIf(socket: Socket, err: MllpExchangeError): void {
    if (socket === this.socket) this.drop(err);
  }

  private drop(err: MllpExchangeError): void {
    const socket = this.socket;
    const waiter = this.waiter;
    this.socket = undefined;
    this.decoder = undefined;
    this.waiter = undefined;
    socket?.destroy();
    if (waiter) {
      clearTimeout(waiter.timer);
      waiter.reject(err);
    }
  }
}
