import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DicomwebInstanceSource, dicomwebBase } from './instance.repository';

/** A minimal WADO-RS peer on loopback: one instance as multipart/related; type="application/dicom". */
function startServer(body: Buffer): Promise<{ server: Server; base: string; accepts: string[] }> {
  const accepts: string[] = [];
  const server = createServer((req, res) => {
    accepts.push(String(req.headers.accept));
    if (req.url === '/dicomweb/studies/1.2.3/series/1.2.3.4/instances/1.2.3.4.5') {
      const boundary = 'b0und4ry';
      res.writeHead(200, { 'content-type': `multipart/related; type="application/dicom"; boundary=${boundary}` });
      res.end(
        Buffer.concat([
          Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`),
          body,
          Buffer.from(`\r\n--${boundary}--\r\n`),
        ]),
      );
    } else if (req.url?.endsWith('/instances/8.8')) {
      // Never answers: the client's timeout must end the request.
    } else if (req.url?.endsWith('/instances/9.9')) {
      res.writeHead(503).end();
    } else {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}/dicomweb`, accepts })),
  );
}

describe('DicomwebInstanceSource', () => {
  const payload = Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), Buffer.from([1, 2, 3, 4, 0x0d, 0x0a, 5])]);
  let srv: Awaited<ReturnType<typeof startServer>>;
  beforeAll(async () => {
    srv = await startServer(payload);
  });
  afterAll(
    () =>
      new Promise<void>((resolve) => {
        srv.server.closeAllConnections();
        srv.server.close(() => resolve());
      }),
  );

  const ref = (sop: string) => ({ retrieveUrl: `${srv.base}/studies/1.2.3`, studyInstanceUid: '1.2.3', seriesInstanceUid: '1.2.3.4', sopInstanceUid: sop });

  it('retrieves the Part 10 bytes of an instance over WADO-RS through dicomweb-client', async () => {
    const bytes = await new DicomwebInstanceSource(5000).retrieve(ref('1.2.3.4.5'));
    expect(Buffer.from(bytes).equals(payload)).toBe(true);
    expect(srv.accepts[0]).toContain('multipart/related');
    expect(srv.accepts[0]).toContain('application/dicom');
  });

  it('fails without retry on 404 and asks for a retry on 503 or no answer', async () => {
    const source = new DicomwebInstanceSource(2000);
    await expect(source.retrieve(ref('7.7'))).rejects.toMatchObject({ code: 'RETRIEVE_FAILED', retryable: false, message: expect.stringContaining('HTTP 404') });
    await expect(source.retrieve(ref('9.9'))).rejects.toMatchObject({ code: 'RETRIEVE_UNAVAILABLE', retryable: true });
    const closed = { ...ref('1.2.3.4.5'), retrieveUrl: 'http://127.0.0.1:1/dicomweb/studies/1.2.3' };
    await expect(source.retrieve(closed)).rejects.toMatchObject({ retryable: true, message: expect.stringContaining('no HTTP response') });
  });

  it('gives up on a peer that does not answer within the timeout, asking for a retry', async () => {
    const started = Date.now();
    await expect(new DicomwebInstanceSource(300).retrieve(ref('8.8'))).rejects.toMatchObject({ retryable: true });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('refuses to fetch from an origin outside the allow-list, without retry and without a request', async () => {
    const before = srv.accepts.length;
    const source = new DicomwebInstanceSource(2000, ['http://ingest.example:8080']);
    await expect(source.retrieve(ref('1.2.3.4.5'))).rejects.toMatchObject({
      code: 'RETRIEVE_FAILED',
      retryable: false,
      message: expect.stringContaining('not in INFERENCE_DICOMWEB_ALLOWED_ORIGINS'),
    });
    expect(srv.accepts.length).toBe(before);
    const allowed = new DicomwebInstanceSource(2000, [new URL(srv.base).origin]);
    expect(Buffer.from(await allowed.retrieve(ref('1.2.3.4.5'))).equals(payload)).toBe(true);
  });

  it('takes the DICOMweb base from the study URL', () => {
    expect(dicomwebBase('http://127.0.0.1:8080/dicomweb/studies/1.2.3')).toBe('http://127.0.0.1:8080/dicomweb');
    expect(() => dicomwebBase('http://127.0.0.1:8080/other')).toThrow(/studies/);
  });
});
