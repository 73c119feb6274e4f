import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { abortPdu, PduViolation, type PduFramer } from '@triage/ingest-domain';

/**
 * What dcmjs-dimse's Network sees instead of the TCP socket: the same `write`/`setTimeout`/`on` surface,
 * but `data` events carry whole PDUs that passed the framer, one at a time, and only when the session
 * lets the next one through (`gate`). While a gate is closed the real socket is paused, so a fast sender
 * is held back by TCP flow control instead of filling memory: the library itself never applies
 * back-pressure to the socket.
 */
export class GuardedSocket extends EventEmitter {
  private readonly queue: Buffer[] = [];
  private held = false;
  private closed = false;
  /** Returns a promise while the next PDU must wait (set by the session). */
  gate: () => Promise<unknown> | undefined = () => undefined;
  /** Called on a framing or order violation (set by the session; aborts by default). */
  onViolation: (violation: PduViolation) => void = (violation) => this.abort(violation.reason);

  constructor(
    readonly raw: Socket,
    private readonly framer: PduFramer,
  ) {
    super();
    raw.on('data', (chunk: Buffer) => this.receive(chunk));
    for (const event of ['error', 'timeout', 'close', 'end']) raw.on(event, (...args: unknown[]) => this.emit(event, ...args));
    raw.on('close', () => {
      this.closed = true;
      this.queue.length = 0;
    });
  }

  get remoteAddress(): string | undefined {
    return this.raw.remoteAddress;
  }

  write(data: Buffer): boolean {
    if (this.closed || this.raw.destroyed) return false;
    return this.raw.write(data);
  }

  setTimeout(ms: number): this {
    this.raw.setTimeout(ms);
    return this;
  }

  /** Sends A-ABORT (service provider, with the reason) and closes the connection. */
  abort(reason: number): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    this.framer.finished();
    this.raw.end(abortPdu(reason));
    setTimeout(() => this.raw.destroy(), 2000).unref();
  }

  /** Closes after what was written is flushed (after A-ASSOCIATE-RJ or A-RELEASE-RP). */
  finish(): void {
    this.framer.finished();
    this.raw.end();
    setTimeout(() => this.raw.destroy(), 5000).unref();
  }

  private receive(chunk: Buffer): void {
    if (this.closed) return;
    let pdus: Buffer[];
    try {
      pdus = this.framer.push(chunk);
    } catch (err) {
      if (!(err instanceof PduViolation)) throw err;
      this.onViolation(err);
      return;
    }
    this.queue.push(...pdus);
    this.pump();
  }

  private pump(): void {
    while (!this.held && !this.closed && this.queue.length > 0) {
      const wait = this.gate();
      if (wait) {
        this.held = true;
        this.raw.pause();
        void wait.finally(() => {
          this.held = false;
          if (!this.closed) this.raw.resume();
          this.pump();
        });
        return;
      }
      try {
        this.emit('data', this.queue.shift());
      } catch {
        // The DIMSE library threw outside its own error handling: end this association, not the process.
        this.abort(0);
      }
    }
  }
}
