import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { generateHeadCtStudy } from '@triage/samples';
import { newDataDir, startIngest, type IngestTestApp } from './ingest-test.harness';

function stow(url: string, files: Buffer[]): Promise<{ status: number; body: string }> {
  const boundary = 'recovery-boundary';
  const body = Buffer.concat([
    ...files.flatMap((f) => [Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), f, Buffer.from('\r\n')]),
    Buffer.from(`--${boundary}--\r\n`),
  ]);
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/dicomweb/studies`,
      { method: 'POST', headers: { 'Content-Type': `multipart/related; type="application/dicom"; boundary=${boundary}` } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function indexOf(t: IngestTestApp, study: string): { unpublished: boolean; series: Array<{ instances: unknown[] }> } {
  return JSON.parse(readFileSync(join(t.dataDir, 'index', 'studies', `${study}.json`), 'utf8'));
}

async function waitFor(check: () => boolean, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!check() && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
}

describe('study.received delivery when the bus fails', () => {
  const apps: IngestTestApp[] = [];
  afterAll(async () => {
    for (const a of apps) await a.close().catch(() => undefined);
  });

  it('answers 503 when publishing fails, keeps the study pending, and the next STOW of it publishes', async () => {
    const t = await startIngest();
    apps.push(t);
    const study = generateHeadCtStudy({ haemorrhage: false, seed: 21 });
    const spy = jest.spyOn(t.bus, 'publish').mockRejectedValueOnce(new Error('broker unavailable'));
    const first = await stow(t.url, study.files);
    expect(first.status).toBe(503);
    expect(indexOf(t, study.studyInstanceUid).unpublished).toBe(true);
    expect(t.received).toHaveLength(0);
    spy.mockRestore();
    const again = await stow(t.url, study.files.slice(0, 2));
    expect(again.status).toBe(200);
    await t.bus.whenIdle();
    expect(t.received).toHaveLength(1);
    expect(t.received[0].payload.instanceCount).toBe(12);
    expect(indexOf(t, study.studyInstanceUid).unpublished).toBe(false);
  });

  it('publishes a study left pending by a failed publish when the service restarts', async () => {
    const dataDir = newDataDir();
    const a = await startIngest({ dataDir });
    apps.push(a);
    const study = generateHeadCtStudy({ haemorrhage: true, seed: 22 });
    jest.spyOn(a.bus, 'publish').mockRejectedValue(new Error('broker unavailable'));
    expect((await stow(a.url, study.files)).status).toBe(503);
    await a.close();
    const b = await startIngest({ dataDir });
    apps.push(b);
    await waitFor(() => b.received.length > 0, 8000);
    expect(b.received).toHaveLength(1);
    expect(b.received[0].subject).toBe(study.studyInstanceUid);
    expect(b.received[0].payload.instanceCount).toBe(12);
    expect(b.received[0].payload.retrieveUrl).toBe(`${b.url}/dicomweb/studies/${study.studyInstanceUid}`);
  });

  it('applies concurrent STOW requests for one study one after another (nothing lost from the index)', async () => {
    const t = await startIngest();
    apps.push(t);
    const study = generateHeadCtStudy({ haemorrhage: false, seed: 23 });
    const results = await Promise.all([stow(t.url, study.files.slice(0, 6)), stow(t.url, study.files.slice(6)), stow(t.url, study.files.slice(3, 9))]);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    await t.bus.whenIdle();
    expect(indexOf(t, study.studyInstanceUid).series[0].instances).toHaveLength(12);
    // One study.received; requests that added instances after it gave study.updated, the last covering all 12.
    expect(t.received).toHaveLength(1);
    const events = [...t.received, ...t.updated];
    expect(Math.max(...events.map((e) => e.payload.instanceCount))).toBe(12);
    expect(t.updated.map((e) => e.payload.revision)).toEqual(t.updated.map((_, i) => i + 1));
    expect(new Set(events.map((e) => e.traceId)).size).toBe(1);
  });
});
