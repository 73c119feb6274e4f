import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { EVENTS } from '@triage/contracts';
import { generateChestXrayStudy, generateHeadCtStudy } from '@triage/samples';
import { api } from 'dicomweb-client';
import { startIngest, type IngestTestApp } from './ingest-test.harness';

// dicomweb-client is written for browsers; xhr2 provides XMLHttpRequest in Node.
(globalThis as { XMLHttpRequest?: unknown }).XMLHttpRequest = require('xhr2');

const SHARED = join(__dirname, '../../../../../shared/data/dicom');
const toArrayBuffer = (b: Buffer): ArrayBuffer => b.buffer.slice(b.byteOffset, b.byteOffset + b.length) as ArrayBuffer;

interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function httpRequest(url: string, opts: { method?: string; headers?: Record<string, string>; body?: Buffer }): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

function multipart(parts: Buffer[], boundary = 'test-boundary-1', type = 'application/dicom'): Buffer {
  return Buffer.concat([
    ...parts.flatMap((p) => [Buffer.from(`--${boundary}\r\nContent-Type: ${type}\r\n\r\n`), p, Buffer.from('\r\n')]),
    Buffer.from(`--${boundary}--\r\n`),
  ]);
}

function stowHeaders(boundary = 'test-boundary-1'): Record<string, string> {
  return { 'Content-Type': `multipart/related; type="application/dicom"; boundary=${boundary}` };
}

type FailedItem = Record<string, { Value?: unknown[] }>;
function failureReasons(body: string | Buffer): number[] {
  const json = JSON.parse(String(body)) as Record<string, { Value?: FailedItem[] }>;
  return (json['00081198']?.Value ?? []).map((f) => f['00081197'].Value?.[0] as number);
}

/** The calls used here; dicomweb-client's generated typings mark its optional options as required. */
interface DicomwebClientCalls {
  storeInstances(o: { datasets: ArrayBuffer[]; studyInstanceUID?: string }): Promise<unknown>;
  retrieveInstance(o: { studyInstanceUID: string; seriesInstanceUID: string; sopInstanceUID: string }): Promise<ArrayBuffer>;
  retrieveStudy(o: { studyInstanceUID: string }): Promise<ArrayBuffer[]>;
  retrieveStudyMetadata(o: { studyInstanceUID: string }): Promise<unknown[]>;
  searchForStudies(o?: { queryParams?: Record<string, string> }): Promise<unknown[]>;
  searchForSeries(o: { studyInstanceUID: string }): Promise<unknown[]>;
  searchForInstances(o: { studyInstanceUID: string; seriesInstanceUID: string }): Promise<unknown[]>;
}

function dicomwebClient(url: string): DicomwebClientCalls {
  const options = { url, verbose: false } as unknown as ConstructorParameters<typeof api.DICOMwebClient>[0];
  return new api.DICOMwebClient(options) as unknown as DicomwebClientCalls;
}

async function settled(t: IngestTestApp): Promise<void> {
  await t.bus.whenIdle();
}

describe('ingest DICOMweb edge (STOW-RS, WADO-RS, QIDO-RS) over real HTTP', () => {
  let t: IngestTestApp;
  let client: DicomwebClientCalls;
  const head = generateHeadCtStudy({ haemorrhage: true, seed: 11 });

  beforeAll(async () => {
    t = await startIngest({ env: { STOW_MAX_BYTES: String(4 * 1024 * 1024) } });
    client = dicomwebClient(`${t.url}/dicomweb`);
  });
  afterAll(async () => t.close());

  it('stores the head CT phantom with storeInstances (200) and publishes one study.received with 12 instances', async () => {
    const answer = await client.storeInstances({ datasets: head.files.map(toArrayBuffer) });
    const body = JSON.parse(String(answer)) as Record<string, { Value?: unknown[] }>;
    expect(body['00081199'].Value).toHaveLength(12);
    expect(body['00081198']).toBeUndefined();
    await settled(t);
    expect(t.received).toHaveLength(1);
    const env = t.received[0];
    expect(env.type).toBe(EVENTS.studyReceived.type);
    expect(env.source).toBe('ingest');
    expect(env.subject).toBe(head.studyInstanceUid);
    expect(env.payload.instanceCount).toBe(12);
    expect(env.payload.series[0].instances).toHaveLength(12);
    expect(env.payload.origin).toEqual({ protocol: 'stow-rs' });
    expect(env.payload.retrieveUrl).toBe(`${t.url}/dicomweb/studies/${head.studyInstanceUid}`);
    expect(env.payload.study).toMatchObject({ accessionNumber: head.accessionNumber, modalities: ['CT'], bodyPart: 'HEAD' });
    // The files are on disk under validated UIDs and the index remembers the trace.
    const seriesUid = env.payload.series[0].seriesInstanceUid;
    expect(readdirSync(join(t.dataDir, 'storage', head.studyInstanceUid, seriesUid))).toHaveLength(12);
    const index = JSON.parse(readFileSync(join(t.dataDir, 'index', 'studies', `${head.studyInstanceUid}.json`), 'utf8'));
    expect(index.traceId).toBe(env.traceId);
    expect(index.unpublished).toBe(false);
  });

  it('absorbs the same study sent again: 200 and no second event', async () => {
    const answer = await client.storeInstances({ datasets: head.files.map(toArrayBuffer), studyInstanceUID: head.studyInstanceUid });
    expect((JSON.parse(String(answer))['00081199'].Value as unknown[]).length).toBe(12);
    await settled(t);
    expect(t.received).toHaveLength(1);
  });

  it('answers 409 with 0xA900 for a conflicting resend and quarantines it', async () => {
    // Same SOP Instance UID as slice 1 of the stored study, different bytes.
    const stored = t.received[0].payload.series[0];
    const clash = generateHeadCtStudy({
      haemorrhage: false,
      seed: 99,
      slices: 1,
      uids: { study: head.studyInstanceUid, series: stored.seriesInstanceUid, instances: [stored.instances[0].sopInstanceUid] },
    });
    const err = await client.storeInstances({ datasets: [toArrayBuffer(clash.files[0])] }).then(
      () => ({ status: 200, response: '' }),
      (e: { status: number; response: string }) => e,
    );
    expect(err.status).toBe(409);
    expect(failureReasons(err.response)).toEqual([0xa900]);
    expect(readdirSync(join(t.dataDir, 'quarantine', head.studyInstanceUid))).toHaveLength(1);
    const retrieved = await client.retrieveInstance({
      studyInstanceUID: head.studyInstanceUid,
      seriesInstanceUID: stored.seriesInstanceUid,
      sopInstanceUID: stored.instances[0].sopInstanceUid,
    });
    expect(Buffer.from(retrieved).equals(head.files[0])).toBe(true);
    await settled(t);
    expect(t.received).toHaveLength(1);
  });

  it('fails an instance of another study sent to POST /studies/{study}', async () => {
    const chest = generateChestXrayStudy({ seed: 1 });
    const err = await client.storeInstances({ datasets: [toArrayBuffer(chest.files[0])], studyInstanceUID: head.studyInstanceUid }).then(
      () => ({ status: 200, response: '' }),
      (e: { status: number; response: string }) => e,
    );
    expect(err.status).toBe(409);
    expect(failureReasons(err.response)).toEqual([0xa900]);
  });

  it('answers 415 for another media type and for a compressed body', async () => {
    const wrongType = await httpRequest(`${t.url}/dicomweb/studies`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: Buffer.from('{}') });
    expect(wrongType.status).toBe(415);
    const wrongPartType = await httpRequest(`${t.url}/dicomweb/studies`, {
      method: 'POST',
      headers: { 'Content-Type': 'multipart/related; type="application/dicom+xml"; boundary=x' },
      body: Buffer.from('--x--'),
    });
    expect(wrongPartType.status).toBe(415);
    const gzip = await httpRequest(`${t.url}/dicomweb/studies`, { method: 'POST', headers: { ...stowHeaders(), 'Content-Encoding': 'gzip' }, body: multipart([head.files[0]]) });
    expect(gzip.status).toBe(415);
  });

  it('answers 413 above STOW_MAX_BYTES, declared or streamed', async () => {
    const big = generateChestXrayStudy({ seed: 5 }).files[0]; // ~0.5 MB
    const body = multipart(Array.from({ length: 10 }, () => big));
    expect(body.length).toBeGreaterThan(4 * 1024 * 1024);
    const declared = await httpRequest(`${t.url}/dicomweb/studies`, { method: 'POST', headers: stowHeaders(), body });
    expect(declared.status).toBe(413);
    const before = t.received.length;
    const chunked = await httpRequest(`${t.url}/dicomweb/studies`, { method: 'POST', headers: { ...stowHeaders(), 'Transfer-Encoding': 'chunked' }, body });
    expect(chunked.status).toBe(413);
    // What arrived before the limit was stored (the same instance, absorbed as duplicates) and announced once.
    expect((JSON.parse(chunked.body.toString())['00081199'].Value as unknown[]).length).toBeGreaterThan(0);
    await settled(t);
    expect(t.received.length - before).toBe(1);
  });

  it('answers 409 with 0xC000 for a garbage part and still serves the next good request', async () => {
    const before = t.received.length;
    const chest = generateChestXrayStudy({ seed: 3 });
    const res = await httpRequest(`${t.url}/dicomweb/studies`, {
      method: 'POST',
      headers: stowHeaders(),
      body: multipart([Buffer.from('this is not DICOM at all'), chest.files[0]]),
    });
    expect(res.status).toBe(409);
    expect(res.headers['content-type']).toContain('application/dicom+json');
    expect(failureReasons(res.body)).toEqual([0xc000]);
    expect((JSON.parse(res.body.toString())['00081199'].Value as unknown[]).length).toBe(1);
    const truncated = await httpRequest(`${t.url}/dicomweb/studies`, { method: 'POST', headers: stowHeaders(), body: multipart([head.files[0].subarray(0, 5000)]) });
    expect(failureReasons(truncated.body)).toEqual([0xc000]);
    const good = await client.storeInstances({ datasets: [toArrayBuffer(generateChestXrayStudy({ seed: 4 }).files[0])] });
    expect(JSON.parse(String(good))['00081199'].Value).toHaveLength(1);
    await settled(t);
    expect(t.received.slice(before).map((e) => e.payload.study.modalities[0])).toEqual(['DX', 'DX']);
  });

  it('retrieves instances through dicomweb-client with identical bytes, and study metadata and search work', async () => {
    const series = t.received[0].payload.series[0];
    for (const i of [0, 5, 11]) {
      const bytes = await client.retrieveInstance({
        studyInstanceUID: head.studyInstanceUid,
        seriesInstanceUID: series.seriesInstanceUid,
        sopInstanceUID: series.instances[i].sopInstanceUid,
      });
      expect(Buffer.from(bytes).equals(head.files[i])).toBe(true);
    }
    const study = await client.retrieveStudy({ studyInstanceUID: head.studyInstanceUid });
    expect(study).toHaveLength(12);
    const metadata = (await client.retrieveStudyMetadata({ studyInstanceUID: head.studyInstanceUid })) as Array<Record<string, { Value?: unknown[] }>>;
    expect(metadata).toHaveLength(12);
    expect(metadata[0]['0020000D'].Value).toEqual([head.studyInstanceUid]);
    expect(metadata[0]['7FE00010']).toBeUndefined();
    const found = (await client.searchForStudies({ queryParams: { AccessionNumber: head.accessionNumber } })) as Array<Record<string, { Value?: unknown[] }>>;
    expect(found).toHaveLength(1);
    expect(found[0]['0020000D'].Value).toEqual([head.studyInstanceUid]);
    expect(found[0]['00201208'].Value).toEqual([12]);
    const byModality = (await client.searchForStudies({ queryParams: { ModalitiesInStudy: 'DX' } })) as unknown[];
    expect(byModality).toHaveLength(t.received.filter((e) => e.payload.study.modalities[0] === 'DX').length);
    expect(byModality.length).toBeGreaterThanOrEqual(2);
    const seriesFound = (await client.searchForSeries({ studyInstanceUID: head.studyInstanceUid })) as unknown[];
    expect(seriesFound).toHaveLength(1);
    const instances = (await client.searchForInstances({ studyInstanceUID: head.studyInstanceUid, seriesInstanceUID: series.seriesInstanceUid })) as unknown[];
    expect(instances).toHaveLength(12);
  });

  it('answers 400 for a path UID that is not a UID and 404 for an unknown study', async () => {
    expect((await httpRequest(`${t.url}/dicomweb/studies/..%2F..%2Fetc/metadata`, {})).status).toBe(400);
    expect((await httpRequest(`${t.url}/dicomweb/studies/1.2.3/metadata`, {})).status).toBe(404);
    expect((await httpRequest(`${t.url}/dicomweb/studies?StudyDate=20250230`, {})).status).toBe(400);
  });

  it('reports storage readiness', async () => {
    const ready = await httpRequest(`${t.url}/health/ready`, {});
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.body.toString()).checks.storage.status).toBe('ok');
  });

  it('stores the real files in ../shared/data and reads their metadata', async () => {
    const files = ['CT_small.dcm', 'MR_small.dcm', 'MR_small_implicit.dcm', 'MR_small_bigendian.dcm', 'MR_small_RLE.dcm', 'JPEG-lossy.dcm', 'cxr_nih_1024.dcm'];
    const before = t.received.length;
    const res = await httpRequest(`${t.url}/dicomweb/studies`, { method: 'POST', headers: stowHeaders(), body: multipart(files.map((f) => readFileSync(join(SHARED, f)))) });
    // MR_small, its implicit, big endian and RLE copies share one SOP Instance UID with different bytes:
    // the first is stored, the others are conflicting resends.
    expect(res.status).toBe(409);
    expect(failureReasons(res.body)).toEqual([0xa900, 0xa900, 0xa900]);
    await settled(t);
    const events = t.received.slice(before);
    const byModality = Object.fromEntries(events.map((e) => [e.payload.study.modalities[0], e.payload]));
    expect(Object.keys(byModality).sort()).toEqual(['CT', 'DX', 'MR', 'NM']);
    expect(byModality.CT.study.studyDate).toBe('2004-01-19');
    expect(byModality.CT.series[0].instances[0]).toMatchObject({ sopClassUid: '1.2.840.10008.5.1.4.1.1.2', transferSyntaxUid: '1.2.840.10008.1.2.1', instanceNumber: 1 });
    expect(byModality.NM.series[0]).toMatchObject({ bodyPart: 'WHOLE BODY' });
    expect(byModality.NM.series[0].instances[0].transferSyntaxUid).toBe('1.2.840.10008.1.2.4.51');
    expect(byModality.DX.series[0].instances[0].transferSyntaxUid).toBe('1.2.840.10008.1.2');
    const cxr = readFileSync(join(SHARED, 'cxr_nih_1024.dcm'));
    const dx = byModality.DX;
    const back = await client.retrieveInstance({ studyInstanceUID: dx.study.studyInstanceUid, seriesInstanceUID: dx.series[0].seriesInstanceUid, sopInstanceUID: dx.series[0].instances[0].sopInstanceUid });
    expect(Buffer.from(back).equals(cxr)).toBe(true);
  });

  it('never writes patient data to the log', () => {
    const logs = t.logLines.join('');
    expect(logs.length).toBeGreaterThan(0);
    for (const phi of ['DEMO^HEAD', 'DEMO-0001', 'DEMO^CHEST', 'DEMO-0003', head.accessionNumber, '19580412', 'Covid0000']) expect(logs).not.toContain(phi);
    expect(existsSync(join(t.dataDir, 'storage', '.incoming'))).toBe(true);
    expect(readdirSync(join(t.dataDir, 'storage', '.incoming'))).toEqual([]);
  });
});
