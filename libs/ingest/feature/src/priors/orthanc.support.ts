// Test support (not exported): a real Orthanc 1.10 with its DICOMweb plugin, own ports and storage in a temp dir.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ORTHANC_BIN = '/usr/sbin/Orthanc';
export const DICOMWEB_PLUGIN = '/usr/share/orthanc/plugins/libOrthancDicomWeb.so';

export interface OrthancPeer {
  url: string;
  dicomweb: string;
  upload(file: Buffer): Promise<void>;
  stop(): Promise<void>;
}

function http(url: string, method: string, body?: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: body ? { 'Content-Type': 'application/dicom' } : {} }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Starts Orthanc on `httpPort`. Orthanc 1.10 has no bind-address option: RemoteAccessAllowed=false makes it
 * refuse every client but loopback, and its DICOM server is off.
 */
export async function startOrthanc(httpPort: number, dicomPort: number): Promise<OrthancPeer> {
  const dir = mkdtempSync(join(tmpdir(), 'orthanc-priors-'));
  const config = {
    Name: 'PRIORS-PACS',
    StorageDirectory: join(dir, 'db'),
    IndexDirectory: join(dir, 'db'),
    HttpPort: httpPort,
    DicomServerEnabled: false,
    DicomPort: dicomPort,
    RemoteAccessAllowed: false,
    AuthenticationEnabled: false,
    Plugins: [DICOMWEB_PLUGIN],
    DicomWeb: { Enable: true, Root: '/dicom-web/' },
    ConcurrentJobs: 1,
  };
  writeFileSync(join(dir, 'orthanc.json'), JSON.stringify(config));
  const child: ChildProcess = spawn(ORTHANC_BIN, [join(dir, 'orthanc.json')], { env: { ...process.env, TCP_NODELAY: '1' }, stdio: 'ignore' });
  const url = `http://127.0.0.1:${httpPort}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    const status = await http(`${url}/system`, 'GET').catch(() => 0);
    if (status === 200) break;
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error('Orthanc did not start');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    dicomweb: `${url}/dicom-web`,
    upload: async (file) => {
      const status = await http(`${url}/instances`, 'POST', file);
      if (status !== 200) throw new Error(`Orthanc answered ${status} to an upload`);
    },
    stop: async () => {
      const exited = new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', () => resolve())));
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
