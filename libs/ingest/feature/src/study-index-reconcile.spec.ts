import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePart10 } from '@triage/ingest-domain';
import { generateHeadCtStudy } from '@triage/samples';
import { waitFor } from '@triage/testing';
import { newDataDir, startIngest } from './ingest-test.harness';

describe('study index after a crash', () => {
  it('indexes stored instances the index never recorded (crash before its write) and hands the study on', async () => {
    const dataDir = newDataDir();
    const study = generateHeadCtStudy({ haemorrhage: false, slices: 3 });
    // What a crash leaves: instances durable in the store, the study's index file not written yet.
    for (const file of study.files) {
      const p = parsePart10(file);
      mkdirSync(join(dataDir, 'storage', p.studyInstanceUid, p.seriesInstanceUid), { recursive: true });
      writeFileSync(join(dataDir, 'storage', p.studyInstanceUid, p.seriesInstanceUid, `${p.sopInstanceUid}.dcm`), file);
    }
    const t = await startIngest({ dataDir });
    try {
      const env = await waitFor(() => t.received[0], { timeoutMs: 10_000, description: 'study.received of the reconciled study' });
      expect(env.subject).toBe(study.studyInstanceUid);
      expect(env.payload.instanceCount).toBe(3);
      expect(t.logLines.join('')).toContain('stored instances missing from the index were indexed again');
    } finally {
      await t.close();
    }
  });
});
