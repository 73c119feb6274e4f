import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { loadConfig } from '@triage/config';
import { newDataDir } from './ingest-test.harness';
import { encodeRecord, InstanceJournal, scanSegment, type JournalRecord } from './instance-journal';
import { InstanceStore, JOURNAL_INSTANCE_BYTES } from './instance-store.service';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const record = (n: number, size = 1000): JournalRecord => {
  const bytes = Buffer.alloc(size, n);
  return { key: { study: '2.25.1', series: '2.25.2', sop: `2.25.${100 + n}` }, sha256: sha(bytes), bytes };
};
const segmentBytes = (records: JournalRecord[]) => Buffer.concat(records.flatMap(encodeRecord));

describe('instance journal records', () => {
  it('reads back every record it wrote, in order, with its key, hash and bytes', () => {
    const written = [record(1), record(2, 0), record(3, 70_000)];
    const scan = scanSegment(segmentBytes(written));
    expect(scan.stop).toBeUndefined();
    expect(scan.records.map((r) => [r.key.sop, r.sha256, r.bytes.length])).toEqual(written.map((r) => [r.key.sop, r.sha256, r.bytes.length]));
    expect(scan.records[2].bytes.equals(written[2].bytes)).toBe(true);
  });

  it('drops a record torn at the end of a segment (never acknowledged) and keeps those before it', () => {
    const data = segmentBytes([record(1), record(2)]);
    for (const cut of [data.length - 1, data.length - 500, encodeRecord(record(1)).reduce((n, b) => n + b.length, 0) + 5]) {
      const scan = scanSegment(data.subarray(0, cut));
      expect(scan.records.map((r) => r.key.sop)).toEqual(['2.25.101']);
      expect(scan.stop?.reason).toBe('torn');
    }
  });

  it('stops at a damaged record and says so, instead of replaying wrong bytes', () => {
    const data = segmentBytes([record(1), record(2), record(3)]);
    const second = encodeRecord(record(1)).reduce((n, b) => n + b.length, 0);
    const flipped = Buffer.from(data);
    flipped[second + 200] ^= 0xff;
    const scan = scanSegment(flipped);
    expect(scan.records.map((r) => r.key.sop)).toEqual(['2.25.101']);
    expect(scan.stop).toMatchObject({ reason: 'corrupt', offset: second });
  });

  it('commits concurrent appends as one group, each resolving once on disk', async () => {
    const dir = join(newDataDir(), 'journal');
    const journal = new InstanceJournal(dir, { segmentBytes: 1024 ** 3 });
    await journal.open();
    const records = Array.from({ length: 50 }, (_, i) => record(i));
    const segments = await Promise.all(records.map((r) => journal.append(r)));
    expect(new Set(segments)).toEqual(new Set([1]));
    const scan = await journal.read(1);
    expect(scan.records.map((r) => r.key.sop)).toEqual(records.map((r) => r.key.sop));
    await journal.close();
  });

  it('closes a full segment, reports it, and never removes the open one', async () => {
    const dir = join(newDataDir(), 'journal');
    const journal = new InstanceJournal(dir, { segmentBytes: 3000 });
    const closed: number[] = [];
    journal.onSegmentClosed = (s) => closed.push(s);
    await journal.open();
    // Each record is about 1.1 kB: the third fills segment 1, the sixth segment 2.
    const at: number[] = [];
    for (let i = 0; i < 7; i++) at.push(await journal.append(record(i)));
    expect(at).toEqual([1, 1, 1, 2, 2, 2, 3]);
    expect(closed).toEqual([1, 2]);
    expect(await journal.segments()).toEqual([1, 2, 3]);
    await expect(journal.remove(3)).rejects.toThrow('open journal segment');
    await journal.remove(1);
    expect(await journal.segments()).toEqual([2, 3]);
    expect((await journal.read(2)).records.map((r) => r.key.sop)).toEqual(['2.25.103', '2.25.104', '2.25.105']);
    await journal.close();
  });
});

describe('InstanceStore with the journal', () => {
  const key = (n: number) => ({ study: '2.25.9', series: '2.25.8', sop: `2.25.${700 + n}` });
  const instance = (n: number) => Buffer.from(`instance ${n} `.repeat(200));
  const receive = (store: InstanceStore, b: Buffer) => store.receive(Readable.from([b.subarray(0, 10), b.subarray(10)]), 10 * 1024 ** 2);

  it('acknowledges from the journal, serves the bytes at once, and checkpoints the files into place', async () => {
    const dataDir = newDataDir();
    const store = new InstanceStore(loadConfig({ DATA_DIR: dataDir }));
    await store.prepare();
    const file = await receive(store, instance(1));
    expect(file.path).toBeUndefined();
    expect(await store.commit(file, key(1), null)).toBe('stored');
    await store.persist(key(1));
    expect((await store.read(key(1))).equals(instance(1))).toBe(true);
    expect(await store.commit(await receive(store, instance(1)), key(1), null)).toBe('duplicate');
    expect(await store.commit(await receive(store, instance(2)), key(1), null)).toBe('conflict');
    await store.checkpointAll();
    expect(readFileSync(store.instancePath(key(1))).equals(instance(1))).toBe(true);
    // Only the open (empty) segment is left once the checkpoint ran.
    const journalDir = join(dataDir, 'storage', '.journal');
    const left = readdirSync(journalDir);
    expect(left).toHaveLength(1);
    expect(readFileSync(join(journalDir, left[0]))).toHaveLength(0);
    expect(readdirSync(join(dataDir, 'quarantine', '2.25.9'))).toEqual([`2.25.701.${sha(instance(2))}.dcm`]);
    await store.onApplicationShutdown();
  });

  it('after a crash, replays acknowledged instances whose files are missing or half-written', async () => {
    const dataDir = newDataDir();
    const crashed = new InstanceStore(loadConfig({ DATA_DIR: dataDir }));
    await crashed.prepare();
    for (const n of [1, 2, 3]) {
      expect(await crashed.commit(await receive(crashed, instance(n)), key(n), null)).toBe('stored');
      await crashed.persist(key(n));
    }
    // What a crash before the checkpoint can leave: one file never written, one cut short, one intact.
    const paths = [1, 2, 3].map((n) => crashed.instancePath(key(n)));
    await new Promise((r) => setTimeout(r, 100));
    rmSync(paths[0], { force: true });
    if (existsSync(paths[1])) truncateSync(paths[1], 17);
    const restarted = new InstanceStore(loadConfig({ DATA_DIR: dataDir }));
    const outcome = await restarted.prepare();
    expect(outcome.damaged).toEqual([]);
    expect(outcome.replayed).toBeGreaterThanOrEqual(2);
    for (const n of [1, 2, 3]) expect(readFileSync(paths[n - 1]).equals(instance(n))).toBe(true);
    // Replayed segments are deleted; a new, empty one is open.
    expect(readdirSync(join(dataDir, 'storage', '.journal')).map((f) => readFileSync(join(dataDir, 'storage', '.journal', f)).length)).toEqual([0]);
    await restarted.onApplicationShutdown();
  });

  it('keeps a damaged segment aside and replays the records before the damage', async () => {
    const dataDir = newDataDir();
    const journalDir = join(dataDir, 'storage', '.journal');
    const store0 = new InstanceStore(loadConfig({ DATA_DIR: dataDir }));
    await store0.prepare();
    await store0.onApplicationShutdown();
    const records = [1, 2].map((n) => ({ key: key(n), sha256: sha(instance(n)), bytes: instance(n) }));
    const data = segmentBytes(records);
    data[data.length - 3] ^= 0xff;
    writeFileSync(join(journalDir, InstanceJournal.segmentName(40)), data);
    const store = new InstanceStore(loadConfig({ DATA_DIR: dataDir }));
    const outcome = await store.prepare();
    expect(outcome.damaged).toEqual([join(journalDir, `${InstanceJournal.segmentName(40)}.damaged`)]);
    expect(readFileSync(store.instancePath(key(1))).equals(instance(1))).toBe(true);
    expect(existsSync(store.instancePath(key(2)))).toBe(false);
    await store.onApplicationShutdown();
  });

  it('streams an instance above the journal limit to a temp file and links it into place', async () => {
    const dataDir = newDataDir();
    const store = new InstanceStore(loadConfig({ DATA_DIR: dataDir }));
    await store.prepare();
    const big = Buffer.alloc(JOURNAL_INSTANCE_BYTES + 1000, 3);
    const file = await store.receive(Readable.from([big.subarray(0, 1000), big.subarray(1000)]), big.length);
    expect(file.path).toBeDefined();
    expect(file.bytes).toBeUndefined();
    expect(file.sha256).toBe(sha(big));
    expect(await store.commit(file, key(9), null)).toBe('stored');
    await store.persist(key(9));
    expect(readFileSync(store.instancePath(key(9))).equals(big)).toBe(true);
    expect(readdirSync(join(dataDir, 'storage', '.incoming'))).toEqual([]);
    await store.onApplicationShutdown();
  });
});
