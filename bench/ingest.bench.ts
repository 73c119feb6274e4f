/**
 * C-STORE and STOW-RS ingest, the mesh against Orthanc 1.10 (default storage) and dcmtk storescp (the
 * ceiling: it only writes files), side by side in one run, with the same storescu command and files.
 *
 *   node -r @swc-node/register bench/ingest.bench.ts [--instances 300] [--rss-instances 1000] [--stow-batch 50] [--repeat 3]
 *
 * - C-STORE: `storescu -aec <AE> 127.0.0.1 <port> <files>` with TCP_NODELAY=1, once over 1 association
 *   with every file, once over 4 associations (4 storescu processes, a quarter of the files each); the
 *   clock runs from the first spawn to the last exit. Each run gets a fresh receiver (process, storage).
 * - STOW-RS: the same files POSTed as multipart/related in sequential requests of `stow-batch` instances,
 *   to the mesh (/dicomweb/studies) and to Orthanc's DICOMweb plugin (/dicom-web/studies).
 * - Memory: peak RSS (VmHWM) of the ingest process receiving a 100-instance and a 1,000-instance study
 *   over one association; equal figures mean memory does not grow with study size.
 * The mesh runs as the ingest service alone (apps/ingest, embedded bus), DIMSE_SOURCES=*. Each figure is
 * the median of `repeat` rounds, the three receivers taking turns within a round (a shared machine's load
 * moves between runs; interleaving keeps the ratios fair).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateHeadCtStudy, newUuidUid } from '@triage/samples';
import { freePort, OrthancPeer, repoRoot, waitFor } from '@triage/testing';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const N = arg('instances', 300);
const RSS_N = arg('rss-instances', 1000);
const STOW_BATCH = arg('stow-batch', 50);
const REPEAT = arg('repeat', 3);
const AE = 'TRIAGE_MESH';

/** One study of `n` CT instances (series of at most 500 slices), written to a folder. */
function studyFiles(n: number): { paths: string[]; buffers: Buffer[]; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'ingest-bench-'));
  const study = newUuidUid();
  const buffers: Buffer[] = [];
  for (let left = n, seed = 1; left > 0; left -= 500, seed++) {
    buffers.push(...generateHeadCtStudy({ haemorrhage: false, slices: Math.min(500, left), seed, uids: { study } }).files);
  }
  const paths = buffers.map((b, i) => {
    const p = join(dir, `${String(i).padStart(5, '0')}.dcm`);
    writeFileSync(p, b);
    return p;
  });
  return { paths, buffers, dir };
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, TCP_NODELAY: '1' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr?.on('data', (c: Buffer) => (err += c.toString()));
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} exited ${code}: ${err.slice(-500)}`))));
  });
}

/** instances/s for storescu over `associations` parallel associations. */
async function cstore(port: number, aec: string, paths: string[], associations: number): Promise<number> {
  const parts = Array.from({ length: associations }, (_, i) => paths.filter((_, j) => j % associations === i));
  const started = process.hrtime.bigint();
  await Promise.all(parts.map((files) => run('storescu', ['-aec', aec, '127.0.0.1', String(port), ...files])));
  return paths.length / (Number(process.hrtime.bigint() - started) / 1e9);
}

/** instances/s for sequential STOW-RS requests of `STOW_BATCH` instances. */
async function stow(url: string, buffers: Buffer[]): Promise<number> {
  const boundary = 'bench-boundary-7e3f';
  const started = process.hrtime.bigint();
  for (let i = 0; i < buffers.length; i += STOW_BATCH) {
    const body = Buffer.concat([
      ...buffers.slice(i, i + STOW_BATCH).flatMap((b) => [Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), b, Buffer.from('\r\n')]),
      Buffer.from(`--${boundary}--\r\n`),
    ]);
    const res = await fetch(url, { method: 'POST', body, headers: { 'Content-Type': `multipart/related; type="application/dicom"; boundary=${boundary}`, Accept: 'application/dicom+json' } });
    if (res.status !== 200) throw new Error(`STOW-RS to ${url}: ${res.status} ${(await res.text()).slice(0, 300)}`);
  }
  return buffers.length / (Number(process.hrtime.bigint() - started) / 1e9);
}

interface Receiver {
  port: number;
  stop(): Promise<void>;
}

async function meshIngest(): Promise<Receiver & { httpUrl: string; peakRssKiB(): number }> {
  const dir = mkdtempSync(join(tmpdir(), 'ingest-bench-mesh-'));
  const port = await freePort();
  const http = await freePort();
  const child: ChildProcess = spawn(process.execPath, ['-r', '@swc-node/register', join('apps', 'ingest', 'src', 'main.ts')], {
    cwd: repoRoot(),
    env: { ...process.env, MESH_MODE: 'embedded', DATA_DIR: dir, HTTP_HOST: '127.0.0.1', HTTP_PORT: String(http), DIMSE_PORT: String(port), DIMSE_AE_TITLE: AE, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  const httpUrl = `http://127.0.0.1:${http}`;
  await waitFor(async () => (await fetch(`${httpUrl}/health/ready`).catch(() => undefined))?.status === 200, { timeoutMs: 90_000, intervalMs: 250, description: 'ingest ready' });
  return {
    port,
    httpUrl,
    peakRssKiB: () => Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? NaN),
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function storescp(): Promise<Receiver> {
  const dir = mkdtempSync(join(tmpdir(), 'ingest-bench-storescp-'));
  const port = await freePort();
  const child = spawn('storescp', ['--fork', '-od', dir, String(port)], { env: { ...process.env, TCP_NODELAY: '1' }, stdio: 'ignore', detached: true });
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  await waitFor(() => run('echoscu', ['127.0.0.1', String(port)]).then(() => true, () => false), { timeoutMs: 20_000, intervalMs: 200, description: 'storescp' });
  return {
    port,
    stop: async () => {
      if (child.pid) process.kill(-child.pid, 'SIGTERM'); // its forked children too
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function orthanc(dicomWeb = false): Promise<Receiver & { url: string }> {
  const peer = await OrthancPeer.start({ dicomWeb });
  return { port: peer.dicomPort, url: peer.url, stop: () => peer.stop() };
}

async function measure<R extends Receiver>(start: () => Promise<R>, fn: (r: R) => Promise<number>): Promise<number> {
  const receiver = await start();
  try {
    return await fn(receiver);
  } finally {
    await receiver.stop();
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Runs the receivers' measurements in turn, `REPEAT` rounds; the median of each. */
async function rounds(fns: Array<() => Promise<number>>): Promise<number[]> {
  const results: number[][] = fns.map(() => []);
  for (let r = 0; r < REPEAT; r++) for (let i = 0; i < fns.length; i++) results[i].push(await fns[i]());
  return results.map(median);
}

async function main(): Promise<void> {
  const files = studyFiles(N);
  const rows: Array<[string, number, number, number]> = [];
  for (const associations of [1, 4]) {
    const [mesh, orth, scp] = await rounds([
      () => measure(meshIngest, (r) => cstore(r.port, AE, files.paths, associations)),
      () => measure(() => orthanc(), (r) => cstore(r.port, 'ORTHANC', files.paths, associations)),
      () => measure(storescp, (r) => cstore(r.port, 'ANY-SCP', files.paths, associations)),
    ]);
    rows.push([`C-STORE, ${associations} association${associations > 1 ? 's' : ''}`, mesh, orth, scp]);
  }
  const [meshStow, orthStow] = await rounds([
    () => measure(meshIngest, (r) => stow(`${r.httpUrl}/dicomweb/studies`, files.buffers)),
    () => measure(() => orthanc(true), (r) => stow(`${r.url}/dicom-web/studies`, files.buffers)),
  ]);
  rmSync(files.dir, { recursive: true, force: true });

  const rss: Array<[number, number]> = [];
  for (const n of [100, RSS_N]) {
    const study = studyFiles(n);
    const peak = await measure(meshIngest, async (r) => {
      await cstore(r.port, AE, study.paths, 1);
      return r.peakRssKiB();
    });
    rss.push([n, peak]);
    rmSync(study.dir, { recursive: true, force: true });
  }

  const f = (x: number) => x.toFixed(0).padStart(8);
  console.log(`\ningest benchmark: ${N} CT instances of ${(files.buffers[0].length / 1024).toFixed(0)} KiB, TCP_NODELAY=1, storescu (dcmtk) as the sender`);
  // Figures from a shared machine swing with its load; the ratios come from back-to-back runs.
  console.log(`medians of ${REPEAT} rounds; machine: ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(1)).join(' / ')} at the end of the run\n`);
  console.log('                          mesh/s  Orthanc/s storescp/s   mesh:Orthanc  mesh:storescp');
  for (const [name, mesh, orth, scp] of rows) {
    console.log(`${name.padEnd(24)}${f(mesh)}   ${f(orth)}   ${f(scp)}        ${(mesh / orth).toFixed(2)}x          ${(mesh / scp).toFixed(2)}x`);
  }
  console.log(`${'STOW-RS, batches of ' + STOW_BATCH}`.padEnd(24) + `${f(meshStow)}   ${f(orthStow)}          -        ${(meshStow / orthStow).toFixed(2)}x              -`);
  console.log('\npeak RSS of the ingest process (VmHWM) receiving one study over one association:');
  for (const [n, kib] of rss) console.log(`  ${String(n).padStart(5)} instances: ${(kib / 1024).toFixed(1)} MiB`);
  console.log(`  ratio ${rss[1][0]}/${rss[0][0]} instances: ${(rss[1][1] / rss[0][1]).toFixed(2)}x (1.00x = memory independent of study size)`);
}

void main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
