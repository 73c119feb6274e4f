// Accepted data is never lost: the ingest process is killed (SIGKILL) the moment storescu has its last
// C-STORE-RSP, before the journal's checkpoint could place and sync the files; after a restart every
// acknowledged instance is there, byte for byte, and the study is indexed with all of them.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePart10 } from '@triage/ingest-domain';
import { generateHeadCtStudy } from '@triage/samples';
import { freePort, repoRoot, waitFor } from '@triage/testing';
import { dcmtk } from './dimse-test.peer';

const AE = 'TRIAGE_MESH';
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

interface Ingest {
  child: ChildProcess;
  exited: Promise<number | null>;
  url: string;
}

async function startIngestProcess(dataDir: string, dimsePort: number): Promise<Ingest> {
  const http = await freePort();
  const child = spawn(process.execPath, ['-r', '@swc-node/register', join('apps', 'ingest', 'src', 'main.ts')], {
    cwd: repoRoot(),
    env: { ...process.env, MESH_MODE: 'embedded', DATA_DIR: dataDir, HTTP_HOST: '127.0.0.1', HTTP_PORT: String(http), DIMSE_PORT: String(dimsePort), DIMSE_AE_TITLE: AE, DIMSE_SOURCES: 'STORESCU', LOG_LEVEL: 'warn', STUDY_QUIET_PERIOD_MS: '60000', INGEST_JOURNAL_IDLE_MS: '600000' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${http}`;
  await waitFor(async () => (await fetch(`${url}/health/ready`).catch(() => undefined))?.status === 200, { timeoutMs: 90_000, intervalMs: 200, description: 'ingest ready' });
  return { child, exited, url };
}

describe('C-STORE durability across a crash', () => {
  const dirs: string[] = [];
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('keeps every acknowledged instance when the process is killed right after the last C-STORE-RSP', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ingest-crash-'));
    const filesDir = mkdtempSync(join(tmpdir(), 'ingest-crash-files-'));
    dirs.push(dataDir, filesDir);
    const study = generateHeadCtStudy({ haemorrhage: false, slices: 40, seed: 5 });
    const paths = study.files.map((f, i) => {
      const p = join(filesDir, `${String(i).padStart(3, '0')}.dcm`);
      writeFileSync(p, f);
      return p;
    });
    const port = await freePort();
    const first = await startIngestProcess(dataDir, port);
    children.push(first.child);
    const run = await dcmtk('storescu', ['-v', '-aet', 'STORESCU', '-aec', AE, '127.0.0.1', String(port), ...paths]);
    first.child.kill('SIGKILL');
    await first.exited;
    expect(run.code).toBe(0);
    expect(run.output.match(/Received Store Response \(Success\)/g)).toHaveLength(40);
    // The crash came before the checkpoint: the instances were durable in the journal only.
    const journalDir = join(dataDir, 'storage', '.journal');
    expect(readdirSync(journalDir).reduce((n, f) => n + statSync(join(journalDir, f)).size, 0)).toBeGreaterThan(40 * 100_000);

    const second = await startIngestProcess(dataDir, port);
    children.push(second.child);
    try {
      const res = await fetch(`${second.url}/dicomweb/studies/${study.studyInstanceUid}/series/${parsePart10(study.files[0]).seriesInstanceUid}/instances`, { headers: { Accept: 'application/dicom+json' } });
      expect(res.status).toBe(200);
      expect(((await res.json()) as unknown[]).length).toBe(40);
      for (const file of study.files) {
        const p = parsePart10(file);
        const stored = readFileSync(join(dataDir, 'storage', p.studyInstanceUid, p.seriesInstanceUid, `${p.sopInstanceUid}.dcm`));
        // C-STORE adds the Part 10 header of the mesh; the data set after it is the sender's, unchanged.
        expect(sha(stored.subarray(stored.length - (file.length - part10HeaderLength(file))))).toBe(sha(file.subarray(part10HeaderLength(file))));
      }
      // Replayed, synced and deleted: only the new, empty segment is left.
      expect(readdirSync(journalDir).map((f) => statSync(join(journalDir, f)).size)).toEqual([0]);
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  }, 180_000);
});

/** Bytes of the preamble, DICM and the file meta group (0002,xxxx) of a Part 10 file. */
function part10HeaderLength(file: Buffer): number {
  const groupLength = file.readUInt32LE(128 + 4 + 8);
  return 128 + 4 + 12 + groupLength;
}
