import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal } from './journal';

describe('Journal', () => {
  const path = () => join(mkdtempSync(join(tmpdir(), 'journal-')), 'j.jsonl');

  it('keeps every concurrent append, in order, and reads them back after a reopen', async () => {
    const file = path();
    const j = new Journal<{ n: number }>(file);
    expect(await j.open()).toEqual({ entries: [], unreadable: 0 });
    await Promise.all(Array.from({ length: 50 }, (_, n) => j.append([{ n }])));
    await j.close();
    const again = new Journal<{ n: number }>(file);
    const { entries } = await again.open();
    expect(entries.map((e) => e.n)).toEqual(Array.from({ length: 50 }, (_, n) => n));
    await again.close();
  });

  it('cuts off a torn last line (a crash mid-append) so the next entry starts on its own line', async () => {
    const file = path();
    const j = new Journal<{ n: number }>(file);
    await j.open();
    await j.append([{ n: 1 }]);
    await j.close();
    appendFileSync(file, '{"n": 2, "tor');
    const k = new Journal<{ n: number }>(file);
    expect(await k.open()).toEqual({ entries: [{ n: 1 }], unreadable: 1 });
    await k.append([{ n: 3 }]);
    await k.close();
    expect(readFileSync(file, 'utf8')).toBe('{"n":1}\n{"n":3}\n');
  });

  it('compacts to the entries given', async () => {
    const file = path();
    const j = new Journal<{ n: number }>(file);
    await j.open();
    await j.append([{ n: 1 }, { n: 2 }]);
    await j.compact([{ n: 2 }]);
    await j.append([{ n: 3 }]);
    await j.close();
    expect(readFileSync(file, 'utf8')).toBe('{"n":2}\n{"n":3}\n');
  });
});
