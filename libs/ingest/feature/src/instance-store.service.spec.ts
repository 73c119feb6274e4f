import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { loadConfig } from '@triage/config';
import { DicomParseError } from '@triage/ingest-domain';
import { newDataDir } from './ingest-test.harness';
import { IngestErrorCode } from './ingest.exception';
import { InstanceStore } from './instance-store.service';

describe('InstanceStore', () => {
  const dataDir = newDataDir();
  const store = new InstanceStore(loadConfig({ DATA_DIR: dataDir }));
  const key = { study: '2.25.1', series: '2.25.2', sop: '2.25.3' };
  const bytes = (s: string) => Readable.from([Buffer.from(s)]);

  beforeAll(() => store.prepare());

  it('validates every UID before it becomes a path', () => {
    expect(store.instancePath(key)).toBe(join(dataDir, 'storage', '2.25.1', '2.25.2', '2.25.3.dcm'));
    for (const bad of ['../../x', '1.2/../3', `1.${'2'.repeat(64)}`, '']) {
      expect(() => store.instancePath({ ...key, sop: bad })).toThrow(DicomParseError);
      expect(() => store.instancePath({ ...key, study: bad })).toThrow(DicomParseError);
    }
  });

  it('stores once, absorbs identical bytes, and quarantines different bytes under the same UID', async () => {
    const first = await store.receive(bytes('first copy'), 1024);
    expect(await store.commit(first, key)).toBe('stored');
    const same = await store.receive(bytes('first copy'), 1024);
    expect(await store.commit(same, key)).toBe('duplicate');
    const other = await store.receive(bytes('other bytes'), 1024);
    expect(await store.commit(other, key)).toBe('conflict');
    expect(readFileSync(store.instancePath(key), 'utf8')).toBe('first copy');
    expect(readdirSync(join(dataDir, 'quarantine', '2.25.1'))).toEqual([`2.25.3.${other.sha256}.dcm`]);
    expect(readdirSync(join(dataDir, 'storage', '.incoming'))).toEqual([]);
  });

  it('refuses an instance above the size limit and leaves no temp file', async () => {
    await expect(store.receive(bytes('x'.repeat(100)), 10)).rejects.toMatchObject({ code: IngestErrorCode.InstanceTooLarge });
    expect(readdirSync(join(dataDir, 'storage', '.incoming'))).toEqual([]);
  });

  it('passes its readiness check on a writable directory', async () => {
    await expect(store.checkWritable()).resolves.toBeUndefined();
    expect(existsSync(join(dataDir, 'storage'))).toBe(true);
  });
});
