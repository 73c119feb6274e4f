import { request } from 'node:http';
import { generateChestXrayStudy } from '@triage/samples';
import { waitFor } from '@triage/testing';
import { api } from 'dicomweb-client';
import { ensureXmlHttpRequest } from '@triage/mesh-client';
import { newDataDir, startIngest, type IngestTestApp } from '../ingest-test.harness';

interface Dict {
  [tag: string]: { vr: string; Value?: unknown[] };
}
const dcmjs = require('dcmjs') as {
  data: { DicomMessage: { readFile(b: ArrayBuffer): { meta: Dict; dict: Dict } }; DicomDict: new (m: Dict) => { dict: Dict; write(): ArrayBuffer } };
};

function call(url: string, method: string, body?: Buffer, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function stow(app: IngestTestApp, file: Buffer, studyUid: string): Promise<void> {
  const b = 'deid-test';
  const body = Buffer.concat([Buffer.from(`--${b}\r\nContent-Type: application/dicom\r\n\r\n`), file, Buffer.from(`\r\n--${b}--\r\n`)]);
  const res = await call(`${app.url}/dicomweb/studies`, 'POST', body, { 'Content-Type': `multipart/related; type="application/dicom"; boundary=${b}` });
  expect(res.status).toBe(200);
  await waitFor(() => app.received.find((e) => e.payload.study.studyInstanceUid === studyUid), { description: 'study.received' });
}

describe('de-identified export (POST /deid/studies, GET /deid/dicomweb/studies)', () => {
  const dataDir = newDataDir();
  let app: IngestTestApp;
  const study = generateChestXrayStudy({ accessionNumber: 'ACC-DEID-9', patient: { name: 'DOE^JOHN', id: 'MRN-DEID-9' } });

  beforeAll(async () => {
    app = await startIngest({ dataDir });
    await stow(app, study.files[0], study.studyInstanceUid);
  });
  afterAll(async () => {
    await app?.close();
  });

  it('serves the pseudonymous study to a dicomweb-client, with no patient data in it; the pseudonym survives a restart', async () => {
    const exported = await call(`${app.url}/deid/studies/${study.studyInstanceUid}`, 'POST');
    expect(exported.status).toBe(200);
    const answer = JSON.parse(exported.body.toString()) as { studyInstanceUid: string; retrieveUrl: string; instanceCount: number; heldBackCount: number };
    expect(answer).toMatchObject({ instanceCount: 1, heldBackCount: 0 });
    expect(answer.studyInstanceUid).not.toBe(study.studyInstanceUid);

    ensureXmlHttpRequest();
    const client = new api.DICOMwebClient({ url: `${app.url}/deid/dicomweb`, verbose: false, singlepart: false } as ConstructorParameters<typeof api.DICOMwebClient>[0]);
    const [file] = (await client.retrieveStudy({ studyInstanceUID: answer.studyInstanceUid } as Parameters<api.DICOMwebClient['retrieveStudy']>[0])) as ArrayBuffer[];
    const { dict } = dcmjs.data.DicomMessage.readFile(file);
    expect(dict['0020000D'].Value).toEqual([answer.studyInstanceUid]);
    expect(dict['00120062'].Value).toEqual(['YES']);
    const text = Buffer.from(file).toString('latin1');
    for (const phi of ['DOE^JOHN', 'MRN-DEID-9', 'ACC-DEID-9', study.studyInstanceUid]) expect(text).not.toContain(phi);

    // The original UID is not a way in.
    expect((await call(`${app.url}/deid/dicomweb/studies/${study.studyInstanceUid}`, 'GET')).status).toBe(404);

    await app.close();
    app = await startIngest({ dataDir });
    const again = JSON.parse((await call(`${app.url}/deid/studies/${study.studyInstanceUid}`, 'POST')).body.toString()) as { studyInstanceUid: string };
    expect(again.studyInstanceUid).toBe(answer.studyInstanceUid);
  });

  it('holds back an instance with burned-in annotation', async () => {
    const burnedStudy = generateChestXrayStudy({ accessionNumber: 'ACC-BURN' });
    const { meta, dict } = dcmjs.data.DicomMessage.readFile(burnedStudy.files[0].buffer.slice(burnedStudy.files[0].byteOffset, burnedStudy.files[0].byteOffset + burnedStudy.files[0].length) as ArrayBuffer);
    const w = new dcmjs.data.DicomDict(meta);
    w.dict = { ...dict, '00280301': { vr: 'CS', Value: ['YES'] } };
    await stow(app, Buffer.from(w.write()), burnedStudy.studyInstanceUid);
    const answer = JSON.parse((await call(`${app.url}/deid/studies/${burnedStudy.studyInstanceUid}`, 'POST')).body.toString()) as { studyInstanceUid: string; instanceCount: number; heldBackCount: number };
    expect(answer).toMatchObject({ instanceCount: 0, heldBackCount: 1 });
    const got = await call(`${app.url}/deid/dicomweb/studies/${answer.studyInstanceUid}`, 'GET');
    expect([got.status, got.headers['x-held-back']]).toEqual([404, '1']);
  });
});
