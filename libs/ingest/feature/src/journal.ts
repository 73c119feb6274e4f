import { promises as fs } from 'node:fs';
import { dirname } from 'node:path';
import { fsyncDir, writeFileAtomic } from './atomic-file';

type Pending = { data: Buffer; resolve: () => void; reject: (err: Error) => void };

/**
 * An append-only JSON-lines journal with group commit: appends that arrive while a flush is running are
 * written and fdatasync'd together, so N concurrent writers cost one disk sync, not N. `append()`
 * resolves only once its entries are on disk. A failed write is cut back to the last synced length, so a
 * torn line never swallows the next entry; a torn last line from a crash is skipped on open.
 */
export class Journal<T> {
  private handle: fs.FileHandle | undefined;
  private size = 0;
  private queue: Pending[] = [];
  private flushing: Promise<void> | undefined;

  constructor(private readonly path: string) {}

  /** Opens (creating it, mode 0600) and returns the entries written so far, with the count of unreadable lines. */
  async open(): Promise<{ entries: T[]; unreadable: number }> {
    await fs.mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    const existed = await fs.stat(this.path).then(
      () => true,
      () => false,
    );
    const text = existed ? await fs.readFile(this.path, 'utf8') : '';
    const entries: T[] = [];
    let unreadable = 0;
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        entries.push(JSON.parse(line) as T);
      } catch {
        unreadable++;
      }
    }
    this.handle = await fs.open(this.path, existed ? 'r+' : 'w+', 0o600);
    this.size = Buffer.byteLength(text);
    // A torn last line (no newline) is cut off so the next append starts on a line of its own.
    const end = text.lastIndexOf('\n') + 1;
    if (end !== this.size) {
      await this.handle.truncate(end);
      this.size = end;
    }
    if (!existed) await fsyncDir(dirname(this.path));
    return { entries, unreadable };
  }

  append(entries: T[]): Promise<void> {
    if (entries.length === 0) return Promise.resolve();
    const data = Buffer.from(entries.map((e) => `${JSON.stringify(e)}\n`).join(''));
    return new Promise((resolve, reject) => {
      this.queue.push({ data, resolve, reject });
      this.flushing ??= this.flush();
    });
  }

  /** Replaces the journal with `entries` (atomically, fsync'd): what compaction leaves of a long history. */
  async compact(entries: T[]): Promise<void> {
    await this.flushing;
    await this.handle?.close();
    const data = entries.map((e) => `${JSON.stringify(e)}\n`).join('');
    await writeFileAtomic(this.path, data);
    this.handle = await fs.open(this.path, 'r+', 0o600);
    this.size = Buffer.byteLength(data);
  }

  async close(): Promise<void> {
    await this.flushing;
    await this.handle?.close();
    this.handle = undefined;
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      const data = Buffer.concat(batch.map((p) => p.data));
      try {
        if (!this.handle) throw new Error('journal is not open');
        await this.handle.write(data, 0, data.length, this.size);
        await this.handle.datasync();
        this.size += data.length;
        for (const p of batch) p.resolve();
      } catch (err) {
        await this.handle?.truncate(this.size).catch(() => undefined);
        for (const p of batch) p.reject(err as Error);
      }
    }
    this.flushing = undefined;
  }
}
