import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { Inject, Injectable, Optional, type OnApplicationShutdown } from '@nestjs/common';
import type { MeshConfig } from '@triage/config';
import { requireDicomUid } from '@triage/ingest-domain';
import { MESH_CONFIG } from '@triage/nest-platform';
import { DirectorySync, fsyncDir, writeFileAtomic } from './atomic-file';
import { INGEST_CONFIG, type IngestConfig } from './ingest.config';
import { IngestErrorCode, IngestException } from './ingest.exception';
import { InstanceJournal, type JournalRecord } from './instance-journal';

/**
 * A received instance, not yet placed in the store: in memory (`bytes`, up to JOURNAL_INSTANCE_BYTES), or,
 * when larger, in a temp file (`path`, fdatasync'd).
 */
export interface IncomingFile {
  path?: string;
  sizeBytes: number;
  sha256: string;
  bytes?: Buffer;
}

/**
 * Instances up to this size are received in memory (one at a time per request or association) and made
 * durable through the journal; larger ones stream to a temp file that is fsynced and linked into place.
 */
export const JOURNAL_INSTANCE_BYTES = 32 * 1024 * 1024;
/** A journal segment is closed and checkpointed at this size, or after INGEST_JOURNAL_IDLE_MS without appends. */
const JOURNAL_SEGMENT_BYTES = 64 * 1024 * 1024;
/** Files fsynced at once by a checkpoint. */
const CHECKPOINT_CONCURRENCY = 4;

/** A journaled instance whose file is being written (readers are served its bytes meanwhile). */
interface Placement {
  key: InstanceKey;
  sha256: string;
  /** The instance's bytes until its file is written (readers are served these meanwhile). */
  bytes?: Buffer;
  /** Resolves once the record is durable in the journal; rejects when the append failed. */
  durable: Promise<void>;
  /** Resolves once the file is written at its place (not yet fsynced). */
  written?: Promise<void>;
}

export interface InstanceKey {
  study: string;
  series: string;
  sop: string;
}

export type CommitResult = 'stored' | 'duplicate' | 'conflict';

/** What the caller knows of a SOP instance already in the store: its sha256, or null for "not stored". */
export type KnownInstance = { sha256: string } | null;

const RESOURCE_ERRORS = new Set(['ENOSPC', 'EDQUOT', 'EMFILE', 'ENFILE']);

/** Maps disk-full style errors to OutOfResources so STOW can answer 0xA700. */
export function asStorageError(err: unknown): unknown {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code && RESOURCE_ERRORS.has(code)) return new IngestException(IngestErrorCode.OutOfResources, `storage unavailable (${code})`, { cause: err });
  return err;
}

/** Writes the buffers in one writev; a short write (a full disk that did not say ENOSPC) is refused. */
async function writeAll(handle: FileHandle, buffers: Buffer[]): Promise<void> {
  const total = buffers.reduce((n, b) => n + b.length, 0);
  const { bytesWritten } = await handle.writev(buffers);
  if (bytesWritten !== total) throw new IngestException(IngestErrorCode.OutOfResources, 'short write to the instance store');
}

/** sha256 (hex) of a file's bytes, streamed. */
export async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * The instance store: `${DATA_DIR}/storage/<study>/<series>/<sop>.dcm`, shared by STOW-RS and C-STORE. A
 * second copy of a SOP instance is compared by sha256, never written over the first.
 *
 * Durability. An instance up to JOURNAL_INSTANCE_BYTES is received in memory and made durable by one
 * append to the instance journal (`storage/.journal`, group-committed fdatasync) before it is
 * acknowledged; its file is then written in place without a sync, and a checkpoint (a full segment, or a
 * INGEST_JOURNAL_IDLE_MS without appends, or shutdown) fsyncs those files and their folders before the segment is
 * deleted. At start-up, segments a crash left behind are replayed into place before the index loads.
 * Larger instances stream to a temp file that is fdatasync'd and hard-linked into place (`persist` makes
 * the link durable).
 */
@Injectable()
export class InstanceStore implements OnApplicationShutdown {
  readonly root: string;
  private readonly storageDir: string;
  private readonly incomingDir: string;
  private readonly quarantineDir: string;
  /** Series folders known to exist (saves a mkdir per instance). */
  private readonly knownDirs = new Set<string>();
  private readonly dirSync = new DirectorySync();
  private readonly journal: InstanceJournal;
  /** Journaled instances by SOP Instance UID, until their file is durable in place. */
  private readonly placements = new Map<string, Placement>();
  /** Per closed-or-open segment: the placements it holds. */
  private readonly segmentPlacements = new Map<number, Set<Placement>>();
  private checkpoints: Promise<void> = Promise.resolve();
  /** Segments whose checkpoint failed (a file could not be written or synced): retried with the next one. */
  private readonly failedSegments = new Set<number>();
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly journalIdleMs: number;

  constructor(@Inject(MESH_CONFIG) config: MeshConfig, @Optional() @Inject(INGEST_CONFIG) ingest?: Pick<IngestConfig, 'INGEST_JOURNAL_IDLE_MS'>) {
    this.journalIdleMs = ingest?.INGEST_JOURNAL_IDLE_MS ?? 1000;
    this.root = resolve(config.DATA_DIR);
    this.storageDir = join(this.root, 'storage');
    this.incomingDir = join(this.storageDir, '.incoming');
    this.quarantineDir = join(this.root, 'quarantine');
    this.journal = new InstanceJournal(join(this.storageDir, '.journal'), { segmentBytes: JOURNAL_SEGMENT_BYTES });
    this.journal.onSegmentClosed = (segment) => this.scheduleCheckpoint(segment);
  }

  /** Creates the folders, clears temp files a crash may have left, and replays the journal into place. */
  async prepare(): Promise<{ replayed: number; damaged: string[] }> {
    await fs.rm(this.incomingDir, { recursive: true, force: true });
    await fs.mkdir(this.incomingDir, { recursive: true });
    await fs.mkdir(this.quarantineDir, { recursive: true });
    await fs.mkdir(this.journal.dir, { recursive: true });
    const outcome = await this.replay();
    await this.journal.open();
    return outcome;
  }

  /**
   * Writes every complete record of the journal's segments to its place (unless the same bytes are there),
   * fsyncs them and deletes the segments. A record torn at a segment's end was never acknowledged and is
   * dropped; a damaged record stops that segment's replay and the segment is kept aside (`.damaged`).
   */
  private async replay(): Promise<{ replayed: number; damaged: string[] }> {
    let replayed = 0;
    const damaged: string[] = [];
    for (const segment of await this.journal.segments()) {
      const scan = await this.journal.read(segment);
      const paths: string[] = [];
      for (const record of scan.records) {
        const target = this.instancePath(record.key);
        const there = await hashFile(target).catch(() => undefined);
        if (there !== record.sha256) {
          await this.writeInPlace(target, record.bytes, record.sha256, true);
          replayed++;
        }
        paths.push(target);
      }
      await this.syncAll(paths);
      if (scan.stop?.reason === 'corrupt') damaged.push(await this.journal.setAside(segment));
      else await this.journal.remove(segment);
    }
    return { replayed, damaged };
  }

  /** The stored path of an instance; each UID is validated first, so no UID can leave the store. */
  instancePath(key: InstanceKey): string {
    const study = requireDicomUid(key.study, 'StudyInstanceUID');
    const series = requireDicomUid(key.series, 'SeriesInstanceUID');
    const sop = requireDicomUid(key.sop, 'SOPInstanceUID');
    return join(this.storageDir, study, series, `${sop}.dcm`);
  }

  /**
   * Receives an instance (bounded by maxBytes), hashing it as it arrives: in memory up to
   * JOURNAL_INSTANCE_BYTES; beyond that the bytes so far and the rest stream to a temp file, fdatasync'd
   * before returning.
   */
  async receive(source: AsyncIterable<Buffer>, maxBytes: number): Promise<IncomingFile> {
    const hash = createHash('sha256');
    let sizeBytes = 0;
    const kept: Buffer[] = [];
    let spill: { path: string; handle: FileHandle } | undefined;
    try {
      // Small pieces (the Part 10 header C-STORE adds) ride along with the next write.
      let carry: Buffer[] = [];
      let carried = 0;
      for await (const chunk of source) {
        sizeBytes += chunk.length;
        if (sizeBytes > maxBytes) throw new IngestException(IngestErrorCode.InstanceTooLarge, 'instance larger than allowed');
        hash.update(chunk);
        if (!spill) {
          kept.push(chunk);
          if (sizeBytes <= JOURNAL_INSTANCE_BYTES) continue;
          const path = join(this.incomingDir, `${Date.now()}-${randomBytes(8).toString('hex')}.part`);
          spill = { path, handle: await fs.open(path, 'wx', 0o600) };
          carry = kept.splice(0);
          carried = sizeBytes;
        } else {
          carry.push(chunk);
          carried += chunk.length;
        }
        if (chunk.length < 4096 && carried < 64 * 1024) continue;
        await writeAll(spill.handle, carry);
        carry = [];
        carried = 0;
      }
      if (!spill) return { sizeBytes, sha256: hash.digest('hex'), bytes: kept.length === 1 ? kept[0] : Buffer.concat(kept, sizeBytes) };
      if (carry.length > 0) await writeAll(spill.handle, carry);
      // fdatasync: the data and the size needed to read it back are on disk before anyone is told "stored".
      await spill.handle.datasync();
    } catch (err) {
      if (spill) {
        await spill.handle.close().catch(() => undefined);
        await fs.rm(spill.path, { force: true });
      }
      throw asStorageError(err);
    }
    await spill.handle.close();
    return { path: spill.path, sizeBytes, sha256: hash.digest('hex') };
  }

  async readIncoming(file: IncomingFile): Promise<Buffer> {
    if (file.bytes) return file.bytes;
    if (!file.path) throw new Error('received instance has neither bytes nor a file');
    return fs.readFile(file.path);
  }

  async discard(file: IncomingFile): Promise<void> {
    if (file.path) await fs.rm(file.path, { force: true });
  }

  /** Where a journaled SOP instance not yet durable in its place is going (the index may not list it yet). */
  placing(sopInstanceUid: string): (InstanceKey & { sha256: string }) | undefined {
    const p = this.placements.get(sopInstanceUid);
    return p && { ...p.key, sha256: p.sha256 };
  }

  /**
   * Places an incoming file at its instance path. An existing instance with the same sha256 makes this a
   * duplicate (no second copy); different bytes are a conflict: the new file goes to quarantine. A stored
   * instance is durable only after `persist(key)`, called outside any lock: for a journaled one, the
   * journal append (group-committed); for a linked file, the directory fsync (group-committed too).
   * `known`: what the caller's index says is stored under this SOP Instance UID (saves looking on disk).
   */
  async commit(file: IncomingFile, key: InstanceKey, known?: KnownInstance): Promise<CommitResult> {
    const target = this.instancePath(key);
    if (!file.path) return this.commitJournaled(file, key, known);
    const dir = dirname(target);
    try {
      if (!this.knownDirs.has(dir)) {
        await fs.mkdir(dir, { recursive: true });
        this.knownDirs.add(dir);
      }
      try {
        await fs.link(file.path, target);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        if ((await this.hashFile(target)) === file.sha256) {
          await this.discard(file);
          return 'duplicate';
        }
        await this.quarantine(file, key);
        return 'conflict';
      }
      await fs.rm(file.path, { force: true });
      return 'stored';
    } catch (err) {
      throw asStorageError(err);
    }
  }

  private async commitJournaled(file: IncomingFile, key: InstanceKey, known: KnownInstance | undefined): Promise<CommitResult> {
    const bytes = file.bytes;
    if (!bytes) throw new Error('received instance has neither bytes nor a file');
    const target = this.instancePath(key);
    const placing = this.placements.get(key.sop);
    // A copy still being placed counts once it is durable; if its append failed, this copy is stored instead.
    const pendingSha = placing && (await placing.durable.then(() => placing.sha256, () => undefined));
    const existing = pendingSha ?? (known === undefined ? await hashFile(target).catch(() => undefined) : known?.sha256);
    if (existing !== undefined) {
      if (existing === file.sha256) return 'duplicate';
      await this.quarantine(file, key);
      return 'conflict';
    }
    const placement: Placement = { key, sha256: file.sha256, bytes, durable: Promise.resolve() };
    placement.durable = this.journal.append({ key, sha256: file.sha256, bytes } satisfies JournalRecord).then(
      (segment) => this.placed(placement, target, segment),
      (err: unknown) => {
        if (this.placements.get(key.sop) === placement) this.placements.delete(key.sop);
        throw asStorageError(err);
      },
    );
    placement.durable.catch(() => undefined);
    this.placements.set(key.sop, placement);
    return 'stored';
  }

  /** The record is durable: the file is written in place (no sync; the checkpoint syncs it). */
  private placed(placement: Placement, target: string, segment: number): void {
    let members = this.segmentPlacements.get(segment);
    if (!members) this.segmentPlacements.set(segment, (members = new Set()));
    members.add(placement);
    const bytes = placement.bytes;
    if (!bytes) return;
    // Once written, the file serves readers and the bytes are let go (memory stays flat however long the
    // study); if writing fails they are kept, and the checkpoint writes them.
    placement.written = this.writeInPlace(target, bytes, placement.sha256, false).then(() => {
      placement.bytes = undefined;
    });
    placement.written.catch(() => undefined);
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => void this.journal.rotate().catch(() => undefined), this.journalIdleMs);
    this.idleTimer.unref();
  }

  /**
   * Writes an instance file at its place. Never over another instance's bytes: a file already there is
   * kept when it holds the same bytes; `replace` (replay only) overwrites a file a crash left half-written.
   */
  private async writeInPlace(target: string, bytes: Buffer, sha256: string, replace: boolean): Promise<void> {
    const dir = dirname(target);
    if (!this.knownDirs.has(dir)) {
      await fs.mkdir(dir, { recursive: true });
      this.knownDirs.add(dir);
    }
    if (replace) {
      const tmp = join(dir, `.${randomBytes(6).toString('hex')}.tmp`);
      await fs.writeFile(tmp, bytes, { mode: 0o600 });
      await fs.rename(tmp, target);
      return;
    }
    try {
      await fs.writeFile(target, bytes, { flag: 'wx', mode: 0o600 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // Only reachable when the index and the store disagree; the bytes stay in the journal until checked.
      if ((await hashFile(target)) !== sha256) throw new Error('a different instance file is already in place');
    }
  }

  /** fsyncs files and then their folders (a checkpoint, a replay). */
  private async syncAll(paths: readonly string[]): Promise<void> {
    const queue = [...paths];
    const worker = async () => {
      for (let path = queue.pop(); path !== undefined; path = queue.pop()) {
        const handle = await fs.open(path, 'r');
        try {
          await handle.sync();
        } finally {
          await handle.close();
        }
      }
    };
    await Promise.all(Array.from({ length: CHECKPOINT_CONCURRENCY }, worker));
    for (const dir of new Set(paths.map((p) => dirname(p)))) await this.dirSync.sync(dir);
  }

  private scheduleCheckpoint(segment: number): void {
    this.checkpoints = this.checkpoints.then(async () => {
      for (const s of [...this.failedSegments, segment]) {
        try {
          await this.checkpoint(s);
          this.failedSegments.delete(s);
        } catch {
          // Kept on disk: retried with the next segment, else replayed at start-up.
          this.failedSegments.add(s);
        }
      }
    });
  }

  /**
   * A closed segment's instances become durable in place: each file is written (again, if writing it
   * failed before), the files and their folders are fsynced, and the segment is deleted. On failure the
   * segment stays and is replayed at the next start-up (or checkpointed with the next segment).
   */
  private async checkpoint(segment: number): Promise<void> {
    const members = [...(this.segmentPlacements.get(segment) ?? [])];
    const paths: string[] = [];
    for (const p of members) {
      const target = this.instancePath(p.key);
      await p.written?.catch(async () => {
        if (p.bytes) await this.writeInPlace(target, p.bytes, p.sha256, false);
        p.bytes = undefined;
      });
      paths.push(target);
    }
    await this.syncAll(paths);
    await this.journal.remove(segment);
    this.segmentPlacements.delete(segment);
    for (const p of members) if (this.placements.get(p.key.sop) === p) this.placements.delete(p.key.sop);
  }

  /** Every journaled instance durable in place and the journal empty (shutdown, tests). */
  async checkpointAll(): Promise<void> {
    clearTimeout(this.idleTimer);
    await this.journal.rotate();
    await this.checkpoints;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.checkpointAll().catch(() => undefined);
    await this.journal.close();
    await this.dirSync.close();
  }

  /** Makes a committed instance durable: its journal append, or its directory entry. */
  async persist(key: InstanceKey): Promise<void> {
    const placing = this.placements.get(key.sop);
    try {
      if (placing && placing.key.study === key.study && placing.key.series === key.series) await placing.durable;
      else await this.dirSync.sync(dirname(this.instancePath(key)));
    } catch (err) {
      throw asStorageError(err);
    }
  }

  /** Keeps conflicting bytes aside for a human to look at: `${DATA_DIR}/quarantine/<study>/<sop>.<sha256>.dcm`. */
  async quarantine(file: IncomingFile, key: InstanceKey): Promise<string> {
    const study = requireDicomUid(key.study, 'StudyInstanceUID');
    const sop = requireDicomUid(key.sop, 'SOPInstanceUID');
    const dir = join(this.quarantineDir, study);
    await fs.mkdir(dir, { recursive: true });
    const target = join(dir, `${sop}.${file.sha256}.dcm`);
    if (!file.path) {
      await writeFileAtomic(target, await this.readIncoming(file));
      return target;
    }
    await fs.rename(file.path, target);
    await fsyncDir(dir);
    return target;
  }

  hashFile(path: string): Promise<string> {
    return hashFile(path);
  }

  /** The bytes of a journaled instance whose file may not be complete yet. */
  private inFlight(key: InstanceKey): Buffer | undefined {
    const p = this.placements.get(key.sop);
    return p && p.key.study === key.study && p.key.series === key.series ? p.bytes : undefined;
  }

  openRead(key: InstanceKey): Readable {
    const path = this.instancePath(key);
    const bytes = this.inFlight(key);
    return bytes ? Readable.from([bytes]) : createReadStream(path);
  }

  async read(key: InstanceKey): Promise<Buffer> {
    const path = this.instancePath(key);
    return this.inFlight(key) ?? fs.readFile(path);
  }

  /** Readiness: the store can create, sync and remove a file. */
  async checkWritable(): Promise<void> {
    const probe = join(this.incomingDir, `.probe-${randomBytes(4).toString('hex')}`);
    await fs.mkdir(this.incomingDir, { recursive: true });
    await fs.writeFile(probe, 'ok');
    await fs.rm(probe);
  }
}
