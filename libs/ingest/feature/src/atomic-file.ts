import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
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

/**
 * fsyncs directories with group commit: callers arriving while a directory's fsync is in flight share
 * the next one (their links happened after the running fsync began), so concurrent associations storing
 * into one series pay one fsync per round instead of one each.
 */
export class DirectorySync {
  private readonly state = new Map<string, { running: Promise<void>; next?: Promise<void> }>();

  sync(dir: string): Promise<void> {
    const s = this.state.get(dir);
    if (!s) {
      const running = fsyncDir(dir).finally(() => this.advance(dir));
      this.state.set(dir, { running });
      return running;
    }
    s.next ??= s.running.catch(() => undefined).then(() => fsyncDir(dir));
    return s.next;
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
