// BAD-INPUTS.md sections 1-8 over STOW-RS: each bad instance fails with its reason in FailedSOPSequence
// (409), the good instance beside it in the same request is stored, and the next request is served.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { badInstances, deflatedInstance, goodInstance } from './bad-instances.fixture';
import { startIngest, type IngestTestApp } from './ingest-test.harness';

const BOUNDARY = 'bad-inputs-boundary';

function multipart(parts: Buffer[]): Buffer {
  return Buffer.concat([
    ...parts.flatMap((p) => [Buffer.from(`--${BOUNDARY}\r\nContent-Type: application/dicom\r\n\r\n`), p, Buffer.from('\r\n')]),
    Buffer.from(`--${BOUNDARY}--\r\n`),
  ]);
}

async function stow(t: IngestTestApp, parts: Buffer[]): Promise<{ status: number; failed: number[]; stored: number }> {
  const res = await fetch(`${t.url}/dicomweb/studies`, {
    method: 'POST',
    headers: { 'Content-Type': `multipart/related; type="application/dicom"; boundary=${BOUNDARY}` },
    body: multipart(parts),
  });
  const json = (await res.json()) as Record<string, { Value?: Array<Record<string, { Value?: unknown[] }>> }>;
  return {
    status: res.status,
    failed: (json['00081198']?.Value ?? []).map((f) => f['00081197'].Value?.[0] as number),
    stored: (json['00081199']?.Value ?? []).length,
  };
}

describe('STOW-RS under hostile DICOM input', () => {
  let t: IngestTestApp;

  beforeAll(async () => {
    t = await startIngest();
  });
  afterAll(() => t.close());

  it.each(badInstances().map((b) => [b.name, b] as const))('%s: answered with its reason beside a good instance, then serves the next request', async (_name, bad) => {
    const answer = await stow(t, [bad.file, goodInstance().file]);
    if (bad.answer === 'stored') expect(answer).toEqual({ status: 200, failed: [], stored: 2 });
    else expect(answer).toEqual({ status: 409, failed: [0xc000], stored: 1 });
    expect(await stow(t, [goodInstance().file])).toEqual({ status: 200, failed: [], stored: 1 });
  });

  it('4: refuses a deflated instance (0xC000) rather than inflating it', async () => {
    expect(await stow(t, [deflatedInstance().file])).toEqual({ status: 409, failed: [0xc000], stored: 0 });
  });

  it('6: the same instance twice at once is stored once; in a second series it fails with 0xA900', async () => {
    const good = goodInstance();
    const [a, b] = await Promise.all([stow(t, [good.file]), stow(t, [good.file])]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const moved = Buffer.from(good.file);
    const series = /2\.25\.3\d+/.exec(moved.toString('latin1'))![0];
    moved.write(`2.25.4${series.slice(6)}`, moved.indexOf(series), 'latin1');
    expect(await stow(t, [moved])).toEqual({ status: 409, failed: [0xa900], stored: 0 });
  });

  it('5: no UID ever became a path outside the store', () => {
    expect(readdirSync(t.dataDir).sort()).toEqual(['deid', 'index', 'orders', 'quarantine', 'storage']);
    expect(existsSync(join(t.dataDir, 'x'))).toBe(false);
    expect(t.logLines.join('')).not.toContain('BAD-PAT-77');
  });
});
