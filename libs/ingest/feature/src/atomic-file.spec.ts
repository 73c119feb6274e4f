import { mkdtempSync, writeFileSync } from 'node:fs';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DirectorySync } from './atomic-file';

describe('DirectorySync', () => {
  it('shares one fsync among callers that arrive while one is running, and fsyncs again for later ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dirsync-'));
    const sync = new DirectorySync();
    const opened = jest.spyOn(fs, 'open');
    writeFileSync(join(dir, 'a'), 'a');
    const first = sync.sync(dir);
    const second = sync.sync(dir);
    const third = sync.sync(dir);
    expect(second).toBe(third); // both wait for the one fsync after the running one
    await Promise.all([first, second, third]);
    await sync.sync(dir);
    expect(opened.mock.calls.filter(([p]) => p === dir)).toHaveLength(1); // the handle is kept open
    opened.mockRestore();
    await sync.close();
  });

  it('reports a directory that cannot be opened', async () => {
    const sync = new DirectorySync();
    await expect(sync.sync(join(tmpdir(), 'no-such-dir-for-dirsync'))).rejects.toThrow(/ENOENT/);
    await expect(sync.sync(join(tmpdir(), 'no-such-dir-for-dirsync'))).rejects.toThrow(/ENOENT/);
  });
});
