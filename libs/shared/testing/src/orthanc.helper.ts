import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.helper';
import { waitFor } from './wait-for.helper';

export const ORTHANC_BINARY = '/usr/sbin/Orthanc';
export const ORTHANC_DICOMWEB_PLUGIN = '/usr/share/orthanc/plugins/libOrthancDicomWeb.so';

export interface OrthancOptions {
  /** Orthanc's own AE title (default ORTHANC). */
  aeTitle?: string;
  /** DICOM peers Orthanc knows: name → [AE title, host, port]. */
  modalities?: Record<string, [string, string, number]>;
  /** Load the DICOMweb plugin (STOW-RS / QIDO-RS / WADO-RS under /dicom-web/). */
  dicomWeb?: boolean;
}

/**
 * A real Orthanc 1.10 PACS for tests and benchmarks, with its own ports, storage folder and default
 * storage settings, TCP_NODELAY=1. Orthanc 1.10 has no listen-address option: HTTP is limited to loopback
 * clients (RemoteAccessAllowed false), and C-STORE/C-ECHO to the modalities listed, checked by host
 * (DicomAlwaysAllowStore false, DicomCheckModalityHost true); tests only talk to it over 127.0.0.1.
 */
export class OrthancPeer {
  readonly output: string[] = [];
  private child: ChildProcess | undefined;
  private exited: Promise<void> | undefined;

  private constructor(
    readonly httpPort: number,
    readonly dicomPort: number,
    readonly aeTitle: string,
    readonly dir: string,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  static async start(opts: OrthancOptions = {}): Promise<OrthancPeer> {
    const dir = mkdtempSync(join(tmpdir(), 'orthanc-'));
    const peer = new OrthancPeer(await freePort(), await freePort(), opts.aeTitle ?? 'ORTHANC', dir);
    const config = {
      Name: 'triage-test-orthanc',
      StorageDirectory: join(dir, 'storage'),
      IndexDirectory: join(dir, 'index'),
      HttpPort: peer.httpPort,
      DicomPort: peer.dicomPort,
      DicomAet: peer.aeTitle,
      RemoteAccessAllowed: false,
      AuthenticationEnabled: false,
      DicomAlwaysAllowEcho: false,
      DicomAlwaysAllowStore: false,
      DicomCheckModalityHost: true,
      // storescu (benchmarks) may store from loopback; Orthanc never connects to this entry's port.
      DicomModalities: { loopback: ['STORESCU', '127.0.0.1', 104], ...(opts.modalities ?? {}) },
      TcpNoDelay: true,
      Plugins: opts.dicomWeb ? [ORTHANC_DICOMWEB_PLUGIN] : [],
      DicomWeb: { Enable: Boolean(opts.dicomWeb), Root: '/dicom-web/' },
    };
    const path = join(dir, 'orthanc.json');
    writeFileSync(path, JSON.stringify(config));
    peer.child = spawn(ORTHANC_BINARY, [path], { env: { ...process.env, TCP_NODELAY: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const collect = (chunk: Buffer) => peer.output.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    peer.child.stdout?.on('data', collect);
    peer.child.stderr?.on('data', collect);
    peer.exited = new Promise((resolve) => peer.child?.on('exit', () => resolve()));
    await waitFor(async () => {
      if (peer.child?.exitCode !== null) throw new Error(`Orthanc exited with ${peer.child?.exitCode}`);
      return (await fetch(`${peer.url}/system`).catch(() => undefined))?.ok === true;
    }, {
      timeoutMs: 30_000,
      intervalMs: 200,
      description: `Orthanc on ${peer.url}`,
    }).catch((err: Error) => {
      peer.child?.kill('SIGKILL');
      throw new Error(`${err.message}\n${peer.output.slice(-20).join('\n')}`);
    });
    return peer;
  }

  /** Uploads one Part 10 file through the REST API; returns Orthanc's ids. */
  async upload(file: Buffer): Promise<{ ID: string; ParentStudy: string }> {
    const res = await fetch(`${this.url}/instances`, { method: 'POST', body: file, headers: { 'Content-Type': 'application/dicom' } });
    if (!res.ok) throw new Error(`Orthanc refused an upload: ${res.status}`);
    return (await res.json()) as { ID: string; ParentStudy: string };
  }

  /** Sends resources (study, series or instance ids) to a configured modality over C-STORE (synchronous job). */
  async storeTo(modality: string, resources: string[]): Promise<Record<string, unknown>> {
    const res = await fetch(`${this.url}/modalities/${modality}/store`, { method: 'POST', body: JSON.stringify({ Resources: resources, Synchronous: true }) });
    const body = (await res.json()) as Record<string, unknown>;
    if (!res.ok) throw new Error(`Orthanc C-STORE to ${modality} failed: ${res.status} ${JSON.stringify(body)}`);
    return body;
  }

  async get<T>(path: string): Promise<T> {
    const res = await fetch(`${this.url}${path}`);
    if (!res.ok) throw new Error(`GET ${path}: ${res.status}`);
    return (await res.json()) as T;
  }

  /** SIGTERM (SIGKILL after 10 s), then removes its folder. */
  async stop(): Promise<void> {
    if (this.child && this.child.exitCode === null) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child?.kill('SIGKILL'), 10_000);
      await this.exited;
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
