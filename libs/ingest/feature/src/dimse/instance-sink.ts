import { Writable } from 'node:stream';
import type { IncomingFile, InstanceStore } from '../instance-store.service';

interface PendingChunk {
  chunk: Buffer;
  done: () => void;
}

/**
 * The Writable dcmjs-dimse fills with one C-STORE data set. Its bytes go, after the Part 10 header, to
 * a temp file of the instance store as they arrive (never the whole instance in memory). It never emits
 * an error (the library would not handle one): a failure (too large, disk full) is kept in `file`, the
 * remaining bytes are drained, and the session answers with the failure status.
 */
export class InstanceSink extends Writable {
  /** The received temp file, or the reason it could not be written. */
  readonly file: Promise<IncomingFile>;
  private pending: PendingChunk | undefined;
  private wake: (() => void) | undefined;
  private ended = false;
  private failed = false;
  private abandoned = false;

  /** `refusal`: the instance is refused before a byte is stored (its data set is drained and dropped). */
  constructor(target: { store: InstanceStore; header: Buffer; maxBytes: number } | { refusal: Error }) {
    super({ highWaterMark: 1024 * 1024 });
    if ('refusal' in target) {
      this.failed = true;
      this.file = Promise.reject(target.refusal);
      this.file.catch(() => undefined);
      return;
    }
    const { store, header, maxBytes } = target;
    this.file = store.receive(this.chunks(header), maxBytes);
    this.file.then(
      (file) => {
        if (this.abandoned) void store.discard(file);
      },
      () => {
        this.failed = true;
        this.releasePending();
      },
    );
  }

  /** The association ended mid-instance: whatever was written is discarded. */
  abandon(): void {
    this.abandoned = true;
    this.ended = true;
    this.wake?.();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    if (this.failed || this.abandoned) {
      callback();
      return;
    }
    this.pending = { chunk, done: callback };
    this.wake?.();
  }

  override _final(callback: () => void): void {
    this.ended = true;
    this.wake?.();
    this.file.then(
      () => callback(),
      () => callback(),
    );
  }

  private releasePending(): void {
    const p = this.pending;
    this.pending = undefined;
    p?.done();
  }

  private next(): Promise<PendingChunk | undefined> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.pending) {
          const p = this.pending;
          this.pending = undefined;
          this.wake = undefined;
          resolve(p);
        } else if (this.ended) {
          this.wake = undefined;
          resolve(undefined);
        } else {
          this.wake = check;
        }
      };
      check();
    });
  }

  private async *chunks(header: Buffer): AsyncGenerator<Buffer> {
    yield header;
    for (;;) {
      const item = await this.next();
      if (!item || this.abandoned) {
        item?.done();
        return;
      }
      try {
        yield item.chunk;
      } finally {
        item.done();
      }
    }
  }
}
