import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** fsyncs a directory so a rename or link inside it survives a crash. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Directory handles kept open for fsync (series folders being written); the oldest is closed beyond this. */
const OPEN_DIRECTORIES = 64;

/**
 * fsyncs directories with group commit: callers arriving while a directory's fsync is in flight share
 * the next one (their links happened after the running fsync began), so concurrent associations storing
 * into one series pay one fsync per round instead of one each. Handles of recent directories stay open.
 */
export class DirectorySync {
  private readonly state = new Map<string, { running: Promise<void>; next?: Promise<void> }>();
  private readonly handles = new Map<string, Promise<FileHandle>>();

  sync(dir: string): Promise<void> {
    const s = this.state.get(dir);
    if (!s) {
      const running = this.fsync(dir).finally(() => this.advance(dir));
      this.state.set(dir, { running });
      return running;
    }
    s.next ??= s.running.catch(() => undefined).then(() => this.fsync(dir));
    return s.next;
  }

  /** Closes the kept handles (shutdown). */
  async close(): Promise<void> {
    const handles = [...this.handles.values()];
    this.handles.clear();
    for (const h of handles) await (await h.catch(() => undefined))?.close().catch(() => undefined);
  }

  private async fsync(dir: string): Promise<void> {
    let handle = this.handles.get(dir);
    if (!handle) {
      handle = fs.open(dir, 'r');
      this.handles.set(dir, handle);
      handle.catch(() => this.handles.delete(dir));
      if (this.handles.size > OPEN_DIRECTORIES) {
        const [oldest, old] = this.handles.entries().next().value as [string, Promise<FileHandle>];
        this.handles.delete(oldest);
        // Closed once any fsync running on it has finished.
        void (this.state.get(oldest)?.running ?? Promise.resolve()).finally(async () => (await old.catch(() => undefined))?.close().catch(() => undefined));
      }
    } else {
      // Most recently used last.
      this.handles.delete(dir);
      this.handles.set(dir, handle);
    }
    await (await handle).sync();
  }

  private advance(dir: string): void {
    const s = this.state.get(dir);
    if (!s?.next) {
      this.state.delete(dir);
      return;
    }
    const running = s.next.finally(() => this.advance(dir));
    this.state.set(dir, { running });
  }
}

/** Writes a file atomically: temp file in the same directory, fsync, rename, fsync the directory. */
export async function writeFileAtomic(path: string, data: string | Buffer): Promise<void> {
  const dir = dirname(path);
  await fs.mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await fs.open(tmp, 'w', 0o600);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.rename(tmp, path);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
  await fsyncDir(dir);
}
