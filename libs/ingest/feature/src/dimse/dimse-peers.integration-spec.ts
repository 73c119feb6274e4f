// The DIMSE acceptor against real dcmtk peers (echoscu, storescu): negotiation, storage of generated and
// real files with their own transfer syntaxes, idempotency, completeness (quiet period, study.updated).
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePart10 } from '@triage/ingest-domain';
import { describeWithSharedData, freePort, sharedDataDir, waitFor } from '@triage/testing';
import { generateChestXrayStudy, generateHeadCtStudy } from '@triage/samples';
import { startIngest, type IngestTestApp } from '../ingest-test.harness';
import { dcmtk } from './dimse-test.peer';

const AE = 'TRIAGE_MESH';

const written: string[] = [];
afterAll(() => {
  for (const dir of written) rmSync(dir, { recursive: true, force: true });
});

function writeFiles(files: Buffer[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'dimse-files-'));
  written.push(dir);
  return files.map((f, i) => {
    const path = join(dir, `${String(i).padStart(4, '0')}.dcm`);
    writeFileSync(path, f);
    return path;
  });
}

function indexOf(t: IngestTestApp, study: string): { series: Array<{ instances: Array<{ transferSyntaxUid: string }> }>; protocol: string; source?: string } {
  return JSON.parse(readFileSync(join(t.dataDir, 'index', 'studies', `${study}.json`), 'utf8'));
}

describe('DIMSE acceptor with dcmtk peers', () => {
  let t: IngestTestApp;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    t = await startIngest({
      env: { DIMSE_PORT: String(port), DIMSE_AE_TITLE: AE, DIMSE_SOURCES: 'STORESCU,ECHOSCU,SPLIT_A,SPLIT_B,SLOW=1500', STUDY_QUIET_PERIOD_MS: '300' },
    });
  });
  afterAll(() => t.close());

  const storescu = (files: string[], calling = 'STORESCU', extra: string[] = []) => dcmtk('storescu', ['-v', '-aet', calling, '-aec', AE, ...extra, '127.0.0.1', String(port), ...files]);

  it('answers C-ECHO from echoscu', async () => {
    const run = await dcmtk('echoscu', ['-v', '-aec', AE, '127.0.0.1', String(port)]);
    expect(run.output).toContain('Received Echo Response (Success)');
    expect(run.code).toBe(0);
  });

  it('stores a generated two-series study over one association and hands it on once, after the quiet period', async () => {
    const ct = generateHeadCtStudy({ haemorrhage: true, slices: 6 });
    const second = generateHeadCtStudy({ haemorrhage: false, slices: 4, uids: { study: ct.studyInstanceUid } });
    const run = await storescu(writeFiles([...ct.files, ...second.files]));
    expect(run.code).toBe(0);
    expect(run.output.match(/Received Store Response \(Success\)/g)).toHaveLength(10);
    const env = await waitFor(() => t.received.find((e) => e.subject === ct.studyInstanceUid), { timeoutMs: 10_000, description: 'study.received' });
    expect(env.payload.instanceCount).toBe(10);
    expect(env.payload.series).toHaveLength(2);
    expect(env.payload.origin).toEqual({ protocol: 'c-store', peer: 'STORESCU' });
    // Stored as Part 10, byte-identical data set after the mesh's own file meta.
    const sop = env.payload.series[0].instances[0];
    const stored = readFileSync(join(t.dataDir, 'storage', ct.studyInstanceUid, env.payload.series[0].seriesInstanceUid, `${sop.sopInstanceUid}.dcm`));
    expect(stored.toString('latin1', 128, 132)).toBe('DICM');
    expect(sop.sha256).toHaveLength(64);

    // A late instance: study.updated (revision 1, one instance added), never a second study.received.
    const late = generateHeadCtStudy({ haemorrhage: false, slices: 1, uids: { study: ct.studyInstanceUid, series: env.payload.series[1].seriesInstanceUid } });
    expect((await storescu(writeFiles(late.files))).code).toBe(0);
    const update = await waitFor(() => t.updated.find((e) => e.subject === ct.studyInstanceUid), { timeoutMs: 10_000, description: 'study.updated' });
    expect(update.payload).toMatchObject({ changes: ['instances-added'], revision: 1, addedInstanceCount: 1, instanceCount: 11 });
    expect(update.traceId).toBe(env.traceId);
    expect(t.received.filter((e) => e.subject === ct.studyInstanceUid)).toHaveLength(1);
  });

  it('absorbs a resend (success, counted once) and keeps a conflicting resend aside with 0xA900', async () => {
    const study = generateChestXrayStudy({ seed: 3 });
    const [file] = writeFiles(study.files);
    expect((await storescu([file])).code).toBe(0);
    const again = await storescu([file]);
    expect(again.output).toContain('Received Store Response (Success)');
    const env = await waitFor(() => t.received.find((e) => e.subject === study.studyInstanceUid), { timeoutMs: 10_000, description: 'study.received' });
    expect(env.payload.instanceCount).toBe(1);

    const sopUid = env.payload.series[0].instances[0].sopInstanceUid;
    const clash = generateChestXrayStudy({ seed: 4, uids: { study: study.studyInstanceUid, series: env.payload.series[0].seriesInstanceUid, instances: [sopUid] } });
    const conflict = await storescu(writeFiles(clash.files));
    expect(conflict.output).toContain('Received Store Response (Error: DataSetDoesNotMatchSOPClass)');
    expect(readdirSync(join(t.dataDir, 'quarantine', study.studyInstanceUid))).toHaveLength(1);
    // The same instance twice at once: both acknowledged, stored once.
    const dup = generateChestXrayStudy({ seed: 5 });
    const [dupFile] = writeFiles(dup.files);
    const both = await Promise.all([storescu([dupFile]), storescu([dupFile])]);
    for (const r of both) expect(r.output).toContain('Received Store Response (Success)');
    const dupEnv = await waitFor(() => t.received.find((e) => e.subject === dup.studyInstanceUid), { timeoutMs: 10_000, description: 'study.received' });
    expect(dupEnv.payload.instanceCount).toBe(1);
    expect(t.updated.filter((e) => e.subject === dup.studyInstanceUid || e.subject === study.studyInstanceUid)).toHaveLength(0);
  });

  it('collects one study sent in parts from two sources into one study.received', async () => {
    const ct = generateHeadCtStudy({ haemorrhage: false, slices: 6 });
    const paths = writeFiles(ct.files);
    const [a, b] = await Promise.all([storescu(paths.slice(0, 3), 'SPLIT_A'), storescu(paths.slice(3), 'SPLIT_B')]);
    expect(a.code + b.code).toBe(0);
    const env = await waitFor(() => t.received.find((e) => e.subject === ct.studyInstanceUid), { timeoutMs: 10_000, description: 'study.received' });
    expect(env.payload.instanceCount).toBe(6);
  });

  it('waits for the calling AE’s own quiet period', async () => {
    const ct = generateHeadCtStudy({ haemorrhage: false, slices: 2 });
    const sent = Date.now();
    expect((await storescu(writeFiles(ct.files), 'SLOW')).code).toBe(0);
    const env = await waitFor(() => t.received.find((e) => e.subject === ct.studyInstanceUid), { timeoutMs: 10_000, description: 'study.received' });
    // Published after the 1500 ms of SLOW, not the 300 ms default (an order, not a speed, is asserted).
    expect(Date.parse(env.occurredAt) - sent).toBeGreaterThanOrEqual(1500);
    expect(indexOf(t, ct.studyInstanceUid).source).toBe('SLOW');
  });

  it('rejects a calling AE not on the allow-list and a wrong called AE, and keeps serving', async () => {
    const intruder = await dcmtk('echoscu', ['-v', '-aet', 'INTRUDER', '-aec', AE, '127.0.0.1', String(port)]);
    expect(intruder.output).toMatch(/Association Rejected[\s\S]*Calling AE Title Not Recognized/i);
    const wrong = await dcmtk('echoscu', ['-v', '-aec', 'NOT_THE_MESH', '127.0.0.1', String(port)]);
    expect(wrong.output).toMatch(/Association Rejected[\s\S]*Called AE Title Not Recognized/i);
    expect((await dcmtk('echoscu', ['-aec', AE, '127.0.0.1', String(port)])).code).toBe(0);
  });

  it('keeps a study that was still settling across a restart and hands it on after it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'dimse-restart-'));
    const own = await freePort();
    const before = await startIngest({ dataDir, env: { DIMSE_PORT: String(own), DIMSE_AE_TITLE: AE, STUDY_QUIET_PERIOD_MS: '600000' } });
    const ct = generateHeadCtStudy({ haemorrhage: false, slices: 3 });
    try {
      const run = await dcmtk('storescu', ['-aec', AE, '127.0.0.1', String(own), ...writeFiles(ct.files)]);
      expect(run.code).toBe(0);
    } finally {
      await before.close();
    }
    expect(before.received).toHaveLength(0);
    const after = await startIngest({ dataDir, env: { DIMSE_PORT: String(own), DIMSE_AE_TITLE: AE, STUDY_QUIET_PERIOD_MS: '200' } });
    try {
      const env = await waitFor(() => after.received.find((e) => e.subject === ct.studyInstanceUid), { timeoutMs: 10_000, description: 'study.received after the restart' });
      expect(env.payload.instanceCount).toBe(3);
    } finally {
      await after.close();
    }
  });

  describeWithSharedData('real files with their own transfer syntaxes', () => {
    it('stores each file in the transfer syntax it was sent in', async () => {
      const dir = join(sharedDataDir(), 'dicom');
      // File, transfer syntax, and the storescu option that proposes exactly that syntax.
      const cases: Array<[string, string, string]> = [
        ['CT_small.dcm', '1.2.840.10008.1.2.1', '-xe'],
        ['MR_small_RLE.dcm', '1.2.840.10008.1.2.5', '-xr'],
        ['MR_small_bigendian.dcm', '1.2.840.10008.1.2.2', '-xb'],
        ['MR_small_implicit.dcm', '1.2.840.10008.1.2', '-xi'],
        ['JPEG-lossy.dcm', '1.2.840.10008.1.2.4.51', '-xx'],
      ];
      // The MR files are one SOP instance in three encodings: each goes to a mesh of its own (to one mesh,
      // the second encoding would be a conflicting resend).
      for (const [name, syntax, option] of cases) {
        const own = await freePort();
        const mesh = await startIngest({ env: { DIMSE_PORT: String(own), DIMSE_AE_TITLE: AE, STUDY_QUIET_PERIOD_MS: '0' } });
        try {
          const run = await dcmtk('storescu', ['-v', '-R', option, '-aec', AE, '127.0.0.1', String(own), join(dir, name)]);
          expect([name, run.output]).toEqual([name, expect.stringContaining('Received Store Response (Success)')]);
          const parsed = parsePart10(readFileSync(join(dir, name)));
          const env = await waitFor(() => mesh.received[0], { timeoutMs: 10_000, description: `study.received for ${name}` });
          const instance = env.payload.series.flatMap((x) => x.instances).find((i) => i.sopInstanceUid === parsed.sopInstanceUid);
          expect([name, instance?.transferSyntaxUid]).toEqual([name, syntax]);
        } finally {
          await mesh.close();
        }
      }
    });
  });
});
