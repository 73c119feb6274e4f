import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MeshClient } from '@triage/mesh-client';
import { generateHeadCtStudy } from '@triage/samples';
import { freePort, repoRoot } from '@triage/testing';
import { mllpSend, orderTextLeaks, statEdOrder } from './support/ingest-orders';
import { E2E_PATIENT, phiLeaks } from './support/phi';
import { ServiceProcess } from './support/service-process';

describe('the embedded mesh with an HL7 v2 order: the order context drives the triage priority', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'mesh-orders-e2e-'));
  let mesh: ServiceProcess;
  let mllpPort: number;

  beforeAll(async () => {
    mllpPort = await freePort();
    mesh = new ServiceProcess('mesh', await freePort(), {
      MESH_MODE: 'embedded',
      DATA_DIR: dataDir,
      MODELS_DIR: join(repoRoot(), 'models', 'build'),
      LOG_LEVEL: 'debug',
      HL7_MLLP_PORT: String(mllpPort),
    });
    mesh.start();
    await mesh.ready(120_000);
  });

  afterAll(async () => {
    expect(await mesh.stop()).toBe(0);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('a normal head CT ordered STAT from the ED is Urgent, because it was ordered STAT', async () => {
    expect(await mllpSend(mllpPort, statEdOrder('E2E-EMB-1', 'ACC-EMB-1'))).toContain('MSA|AA|E2E-EMB-1');
    const study = generateHeadCtStudy({ haemorrhage: false, seed: 41, accessionNumber: 'ACC-EMB-1', patient: E2E_PATIENT });
    const client = new MeshClient(mesh.url);
    await client.stow(study.files);
    const lineage = await client.waitForCompleteLineage(study.studyInstanceUid, 120_000);
    const priority = lineage.stages.find((s) => s.stage === 'priority') as { summary?: { priority?: string; reasons?: { ruleId: string }[] } } | undefined;
    expect(priority?.summary?.priority).toBe('urgent');
    expect(priority?.summary?.reasons?.map((r) => r.ruleId)).toEqual(expect.arrayContaining(['stat-order', 'emergency-patient']));
  });

  it('wrote no patient data or order text to the log', () => {
    expect(mesh.output.length).toBeGreaterThan(10);
    expect(phiLeaks(mesh.output)).toEqual([]);
    expect(orderTextLeaks(mesh.output)).toEqual([]);
  });
});
