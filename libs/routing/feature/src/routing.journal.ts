import { promises as fs } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import type { JournalRecord } from '@triage/routing-domain';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * The routing journal: one JSON record per line, appended and fsync'd before a change is applied or
 * answered, replayed at start. A crash mid-append leaves at most a torn last line, which replay cuts
 * off (that change was never acknowledged); a bad line anywhere else stops the start-up, because
 * skipping it would silently lose a claim, a read or an alert. One process owns the file (single replica).
 */
export class RoutingJournal {
  private handle: fs.FileHandle | undefined;
  private lines = 0;

  constructor(readonly path: string) {}

  get length(): number {
    return this.lines;
  }

  private get lockPath(): string {
    return `${this.path}.lock`;
  }

  /**
   * Takes the journal for this process (a pid file created exclusively): a second replica on the same
   * DATA_DIR of the same host refuses to start instead of corrupting the state. A lock left by a dead
   * process is taken over. Replicas on different hosts sharing a volume cannot be told apart: do not.
   */
  private async lock(): Promise<void> {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await fs.writeFile(this.lockPath, String(process.pid), { flag: 'wx', mode: 0o600 });
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const pid = Number((await fs.readFile(this.lockPath, 'utf8').catch(() => '')).trim());
        // Our own pid is a previous incarnation (a container restarted as pid 1 again), not another replica.
        if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
          throw new Error(`routing journal ${this.path} is in use by process ${pid}: routing runs as a single replica per DATA_DIR`);
        }
        await fs.rm(this.lockPath, { force: true });
      }
    }
    throw new Error(`routing journal ${this.path}: could not take the lock`);
  }

  /** Opens (creating) the journal and returns its records in order. */
  async open(): Promise<JournalRecord[]> {
    await fs.mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    await this.lock();
    try {
      return await this.read();
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  private async read(): Promise<JournalRecord[]> {
    const text = await fs.readFile(this.path, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return '';
      throw err;
    });
    const end = text.lastIndexOf('\n') + 1;
    const records: JournalRecord[] = [];
    const body = text.slice(0, end);
    let lineNo = 0;
    for (const line of body.split('\n')) {
      lineNo += 1;
      if (line === '') continue;
      try {
        records.push(JSON.parse(line) as JournalRecord);
      } catch {
        throw new Error(`routing journal ${this.path} is damaged at line ${lineNo}; restore it from a backup before starting`);
      }
    }
    this.handle = await fs.open(this.path, 'a', 0o600);
    if (end < Buffer.byteLength(text)) {
      // A torn last line from a crash mid-append: never acknowledged, so dropping it loses nothing.
      await this.handle.truncate(Buffer.byteLength(body));
      await this.handle.sync();
    }
    await fsyncDir(dirname(this.path));
    this.lines = records.length;
    return records;
  }

  /** Appends records as one write and waits for them to reach the disk. */
  async append(records: readonly JournalRecord[]): Promise<void> {
    if (!this.handle) throw new Error('routing journal is not open');
    if (records.length === 0) return;
    await this.handle.write(records.map((r) => `${JSON.stringify(r)}\n`).join(''));
    await this.handle.datasync();
    this.lines += records.length;
  }

  /**
   * Replaces the journal with `records` (compaction): a temp file in the same directory, fsync'd, renamed
   * over the journal, the directory fsync'd. A crash at any point leaves either the old or the new journal.
   */
  async rewrite(records: readonly JournalRecord[]): Promise<void> {
    const dir = dirname(this.path);
    const tmp = join(dir, `.journal-${randomBytes(6).toString('hex')}.tmp`);
    const handle = await fs.open(tmp, 'w', 0o600);
    try {
      await handle.writeFile(records.map((r) => `${JSON.stringify(r)}\n`).join(''));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await this.handle?.close();
    this.handle = undefined;
    try {
      await fs.rename(tmp, this.path);
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw err;
    } finally {
      this.handle = await fs.open(this.path, 'a', 0o600);
    }
    await fsyncDir(dir);
    this.lines = records.length;
  }

  /** Throws unless the journal is open (readiness). */
  check(): void {
    if (!this.handle) throw new Error('routing journal is not open');
  }

  async close(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
    const owner = await fs.readFile(this.lockPath, 'utf8').catch(() => '');
    if (owner.trim() === String(process.pid)) await fs.rm(this.lockPath, { force: true });
  }
}
