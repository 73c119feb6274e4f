import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { fsyncDir } from './atomic-file';

/** What a journal record says about its instance (the UIDs are validated before anything is appended). */
export interface JournalKey {
  study: string;
  series: string;
  sop: string;
}

export interface JournalRecord {
  key: JournalKey;
  sha256: string;
  bytes: Buffer;
}

/**
 * Record layout: MAGIC | u32 header length | u32 body length | u32 crc32(header) | header JSON | body. The
 * header carries the body's sha256 (computed while it was received), which checks the body at replay.
 */
const MAGIC = Buffer.from('TMJREC01', 'latin1');
const PREFIX_BYTES = MAGIC.length + 12;
const SEGMENT_SUFFIX = '.log';

export interface JournalOptions {
  /** A segment is closed (and checkpointed) once it holds this many bytes. */
  segmentBytes: number;
}

/** The result of reading one segment back: its complete records, and why reading stopped early, if it did. */
export interface SegmentScan {
  records: JournalRecord[];
  /** `torn`: the segment ends inside a record (a write that was never acknowledged); `corrupt`: a record fails its checks. */
  stop?: { offset: number; reason: 'torn' | 'corrupt'; detail: string };
}

/** Encodes one record (the body is referenced, not copied). */
export function encodeRecord(record: JournalRecord): Buffer[] {
  const header = Buffer.from(JSON.stringify({ ...record.key, sha256: record.sha256 }), 'utf8');
  const prefix = Buffer.alloc(PREFIX_BYTES);
  MAGIC.copy(prefix, 0);
  prefix.writeUInt32LE(header.length, MAGIC.length);
  prefix.writeUInt32LE(record.bytes.length, MAGIC.length + 4);
  prefix.writeUInt32LE(crc32(header), MAGIC.length + 8);
  return [prefix, header, record.bytes];
}

/** Reads every complete record of a segment's bytes, stopping at the first torn or damaged one. */
export function scanSegment(data: Buffer): SegmentScan {
  const records: JournalRecord[] = [];
  let at = 0;
  while (at < data.length) {
    if (data.length - at < PREFIX_BYTES) return { records, stop: { offset: at, reason: 'torn', detail: 'segment ends inside a record prefix' } };
    if (!data.subarray(at, at + MAGIC.length).equals(MAGIC)) return { records, stop: { offset: at, reason: 'corrupt', detail: 'record magic missing' } };
    const headerBytes = data.readUInt32LE(at + MAGIC.length);
    const bodyBytes = data.readUInt32LE(at + MAGIC.length + 4);
    const crc = data.readUInt32LE(at + MAGIC.length + 8);
    const start = at + PREFIX_BYTES;
    if (data.length - start < headerBytes + bodyBytes) return { records, stop: { offset: at, reason: 'torn', detail: 'segment ends inside a record' } };
    const header = data.subarray(start, start + headerBytes);
    const bytes = data.subarray(start + headerBytes, start + headerBytes + bodyBytes);
    if (crc32(header) !== crc) return { records, stop: { offset: at, reason: 'corrupt', detail: 'record header checksum differs' } };
    let meta: JournalKey & { sha256: string };
    try {
      meta = JSON.parse(header.toString('utf8')) as JournalKey & { sha256: string };
    } catch {
      return { records, stop: { offset: at, reason: 'corrupt', detail: 'record header is not JSON' } };
    }
    if (createHash('sha256').update(bytes).digest('hex') !== meta.sha256) return { records, stop: { offset: at, reason: 'corrupt', detail: 'record body differs from its sha256' } };
    records.push({ key: { study: meta.study, series: meta.series, sop: meta.sop }, sha256: meta.sha256, bytes });
    at = start + headerBytes + bodyBytes;
  }
  return { records };
}

interface Waiter {
  buffers: Buffer[];
  bytes: number;
  resolve: (segment: number) => void;
  reject: (err: unknown) => void;
}

/**
 * The write-ahead journal of received instances: `<dir>/<segment>.log`, append only. `append` resolves once
 * the record is on disk (written and fdatasync'd); callers arriving while a flush runs share the next one
 * (group commit), so concurrent associations and requests pay one fdatasync per round, and a lone sender
 * pays one sequential write and one fdatasync per instance instead of a new file, its fdatasync and a
 * directory fsync. `append` resolves to the segment that holds the record; a segment is closed once it is
 * full (`rotate`), and its owner deletes it (`remove`) once every instance in it is durable in its place.
 */
export class InstanceJournal {
  private handle: FileHandle | undefined;
  private segment = 0;
  private segmentSize = 0;
  private queue: Waiter[] = [];
  private rotations: Array<() => void> = [];
  private flushing: Promise<void> | undefined;
  private closed = false;
  /** Called with a segment number when that segment is full and closed (no record will be added to it). */
  onSegmentClosed: (segment: number) => void = () => undefined;

  constructor(
    readonly dir: string,
    private readonly options: JournalOptions,
  ) {}

  static segmentName(segment: number): string {
    return `${String(segment).padStart(12, '0')}${SEGMENT_SUFFIX}`;
  }

  /** Segments left on disk, oldest first. */
  async segments(): Promise<number[]> {
    const names = await fs.readdir(this.dir).catch(() => [] as string[]);
    return names
      .filter((n) => /^\d{12}\.log$/.test(n))
      .map((n) => Number(n.slice(0, 12)))
      .sort((a, b) => a - b);
  }

  async read(segment: number): Promise<SegmentScan> {
    return scanSegment(await fs.readFile(join(this.dir, InstanceJournal.segmentName(segment))));
  }

  /** Opens a new segment after every segment already on disk (which the owner replays first). */
  async open(): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true });
    const existing = await this.segments();
    this.segment = (existing.at(-1) ?? 0) + 1;
    await this.openSegment();
  }

  append(record: JournalRecord): Promise<number> {
    if (this.closed) return Promise.reject(new Error('instance journal closed'));
    const buffers = encodeRecord(record);
    const bytes = buffers.reduce((n, b) => n + b.length, 0);
    const done = new Promise<number>((resolve, reject) => this.queue.push({ buffers, bytes, resolve, reject }));
    this.flushing ??= this.flush();
    return done;
  }

  /**
   * Closes the current segment (if it holds records) and starts the next. Runs in the flush loop, so it
   * never closes a segment under a write; appends queued meanwhile go to the new segment.
   */
  rotate(): Promise<void> {
    const done = new Promise<void>((resolve) => this.rotations.push(resolve));
    this.flushing ??= this.flush();
    return done;
  }

  /** Deletes a closed segment whose instances are all durable in their places. */
  async remove(segment: number): Promise<void> {
    if (segment === this.segment) throw new Error('the open journal segment cannot be removed');
    await fs.rm(join(this.dir, InstanceJournal.segmentName(segment)), { force: true });
    await fsyncDir(this.dir);
  }

  /** Keeps a damaged segment aside for a human to look at (it is not replayed again). */
  async setAside(segment: number): Promise<string> {
    const from = join(this.dir, InstanceJournal.segmentName(segment));
    const to = `${from}.damaged`;
    await fs.rename(from, to);
    await fsyncDir(this.dir);
    return to;
  }

  /** Waits for pending appends, then closes the current segment (it stays on disk until removed). */
  async close(): Promise<void> {
    this.closed = true;
    await this.flushing;
    await this.handle?.close().catch(() => undefined);
    this.handle = undefined;
  }

  private async openSegment(): Promise<void> {
    this.handle = await fs.open(join(this.dir, InstanceJournal.segmentName(this.segment)), 'a', 0o600);
    this.segmentSize = 0;
    // The new name must survive a crash before its first record is acknowledged.
    await fsyncDir(this.dir);
  }

  private async nextSegment(): Promise<void> {
    const full = this.segment;
    await this.handle?.close();
    this.segment++;
    await this.openSegment();
    this.onSegmentClosed(full);
  }

  /** Writes queued records (and rotations) until none is left; clears `flushing` in the same turn it sees nothing left. */
  private async flush(): Promise<void> {
    await Promise.resolve();
    for (;;) {
      if (this.rotations.length > 0) {
        const waiting = this.rotations.splice(0);
        if (this.segmentSize > 0) await this.nextSegment().catch(() => undefined);
        for (const resolve of waiting) resolve();
        continue;
      }
      if (this.queue.length === 0) {
        this.flushing = undefined;
        return;
      }
      const batch = this.queue;
      this.queue = [];
      const handle = this.handle;
      try {
        if (!handle) throw new Error('instance journal not open');
        const total = batch.reduce((n, w) => n + w.bytes, 0);
        const { bytesWritten } = await handle.writev(batch.flatMap((w) => w.buffers));
        this.segmentSize += bytesWritten;
        if (bytesWritten !== total) throw Object.assign(new Error('short write to the instance journal'), { code: 'ENOSPC' });
        await handle.datasync();
        for (const w of batch) w.resolve(this.segment);
      } catch (err) {
        for (const w of batch) w.reject(err);
        // The segment may end in a partial record now: later records go to a fresh segment, so a torn
        // record can only ever be a segment's last.
        await this.nextSegment().catch(() => undefined);
        continue;
      }
      if (this.segmentSize >= this.options.segmentBytes) await this.nextSegment().catch(() => undefined);
    }
  }
}
