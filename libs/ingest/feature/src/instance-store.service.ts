import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, promises as fs, type ReadStream } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { MeshConfig } from '@triage/config';
import { requireDicomUid } from '@triage/ingest-domain';
import { MESH_CONFIG } from '@triage/nest-platform';
import { DirectorySync, fsyncDir } from './atomic-file';
import { IngestErrorCode, IngestException } from './ingest.exception';

/** An upload written to a temp file, not yet placed in the store. */
export interface IncomingFile {
  path: string;
  sizeBytes: number;
  sha256: string;
  /** The bytes, kept while receiving when the instance is small enough (saves reading the file back to parse it). */
  bytes?: Buffer;
}

/** Instances up to this size are kept in memory while they are written (one at a time per request/association). */
const KEEP_IN_MEMORY_BYTES = 64 * 1024 * 1024;

export interface InstanceKey {
  study: string;
  series: string;
  sop: string;
}

export type CommitResult = 'stored' | 'duplicate' | 'conflict';

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
 * The instance store: `${DATA_DIR}/storage/<study>/<series>/<sop>.dcm`, shared by STOW-RS and (later)
 * C-STORE. Uploads stream to a temp file (hashing as they go), are fsynced, and are then hard-linked into
 * place, which never overwrites: a second copy of a SOP instance is compared by sha256, not written.
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

  constructor(@Inject(MESH_CONFIG) config: MeshConfig) {
    this.root = resolve(config.DATA_DIR);
    this.storageDir = join(this.root, 'storage');
    this.incomingDir = join(this.storageDir, '.incoming');
    this.quarantineDir = join(this.root, 'quarantine');
  }

  /** Creates the folders and clears temp files a crash may have left. */
  async prepare(): Promise<void> {
    await fs.rm(this.incomingDir, { recursive: true, force: true });
    await fs.mkdir(this.incomingDir, { recursive: true });
    await fs.mkdir(this.quarantineDir, { recursive: true });
  }

  /** The stored path of an instance; each UID is validated first, so no UID can leave the store. */
  instancePath(key: InstanceKey): string {
    const study = requireDicomUid(key.study, 'StudyInstanceUID');
    const series = requireDicomUid(key.series, 'SeriesInstanceUID');
    const sop = requireDicomUid(key.sop, 'SOPInstanceUID');
    return join(this.storageDir, study, series, `${sop}.dcm`);
  }

  /** Streams bytes to a new temp file (bounded by maxBytes), hashing them; fsyncs before returning. */
  async receive(source: AsyncIterable<Buffer>, maxBytes: number): Promise<IncomingFile> {
    const path = join(this.incomingDir, `${Date.now()}-${randomBytes(8).toString('hex')}.part`);
    const hash = createHash('sha256');
    let sizeBytes = 0;
    let kept: Buffer[] | undefined = [];
    const handle = await fs.open(path, 'wx', 0o600);
    try {
      // Small pieces (the Part 10 header C-STORE adds) ride along with the next write.
      let carry: Buffer[] = [];
      let carried = 0;
      for await (const chunk of source) {
        sizeBytes += chunk.length;
        if (sizeBytes > maxBytes) throw new IngestException(IngestErrorCode.InstanceTooLarge, 'instance larger than allowed');
        hash.update(chunk);
        if (kept && sizeBytes <= KEEP_IN_MEMORY_BYTES) kept.push(chunk);
        else kept = undefined;
        carry.push(chunk);
        carried += chunk.length;
        if (chunk.length < 4096 && carried < 64 * 1024) continue;
        await writeAll(handle, carry);
        carry = [];
        carried = 0;
      }
      if (carry.length > 0) await writeAll(handle, carry);
      // fdatasync: the data and the size needed to read it back are on disk before anyone is told "stored".
      await handle.datasync();
    } catch (err) {
      await handle.close().catch(() => undefined);
      await fs.rm(path, { force: true });
      throw asStorageError(err);
    }
    await handle.close();
    return { path, sizeBytes, sha256: hash.digest('hex'), ...(kept ? { bytes: Buffer.concat(kept, sizeBytes) } : {}) };
  }

  async readIncoming(file: IncomingFile): Promise<Buffer> {
    return file.bytes ?? fs.readFile(file.path);
  }

  async discard(file: IncomingFile): Promise<void> {
    await fs.rm(file.path, { force: true });
  }

  /**
   * Places an incoming file at its instance path. An existing instance with the same sha256 makes this a
   * duplicate (no second copy); different bytes are a conflict: the new file goes to quarantine. A stored
   * file is durable only after `persist(key)` (the directory fsync, group-committed, outside any lock).
   */
  async commit(file: IncomingFile, key: InstanceKey): Promise<CommitResult> {
    const target = this.instancePath(key);
    const dir = join(target, '..');
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

  async onApplicationShutdown(): Promise<void> {
    await this.dirSync.close();
  }

  /** Makes a committed instance's directory entry durable. */
  async persist(key: InstanceKey): Promise<void> {
    try {
      await this.dirSync.sync(join(this.instancePath(key), '..'));
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
    await fs.rename(file.path, target);
    await fsyncDir(dir);
    return target;
  }

  hashFile(path: string): Promise<string> {
    return hashFile(path);
  }

  openRead(key: InstanceKey): ReadStream {
    return createReadStream(this.instancePath(key));
  }

  async read(key: InstanceKey): Promise<Buffer> {
    return fs.readFile(this.instancePath(key));
  }

  /** Readiness: the store can create, sync and remove a file. */
  async checkWritable(): Promise<void> {
    const probe = join(this.incomingDir, `.probe-${randomBytes(4).toString('hex')}`);
    await fs.mkdir(this.incomingDir, { recursive: true });
    await fs.writeFile(probe, 'ok');
    await fs.rm(probe);
  }
}
