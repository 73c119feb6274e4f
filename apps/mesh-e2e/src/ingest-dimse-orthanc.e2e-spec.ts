import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MeshClient } from '@triage/mesh-client';
import { generateHeadCtStudy } from '@triage/samples';
import { freePort, OrthancPeer, repoRoot } from '@triage/testing';
import { E2E_PATIENT, phiLeaks } from './support/phi';
import { ServiceProcess } from './support/service-process';
import { expectCriticalHeadCt } from './support/thin-flow.expectations';

describe('a PACS (Orthanc 1.10) sends a study to the mesh over C-STORE', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'mesh-dimse-e2e-'));
  let mesh: ServiceProcess;
  let orthanc: OrthancPeer;
  let client: MeshClient;

  beforeAll(async () => {
    const dimsePort = await freePort();
    mesh = new ServiceProcess('mesh', await freePort(), {
      MESH_MODE: 'embedded',
      DATA_DIR: dataDir,
      MODELS_DIR: join(repoRoot(), 'models', 'build'),
      LOG_LEVEL: 'debug',
      DIMSE_PORT: String(dimsePort),
      DIMSE_AE_TITLE: 'TRIAGE_MESH',
      DIMSE_SOURCES: 'ORTHANC@127.0.0.1=1000',
    });
    mesh.start();
    orthanc = await OrthancPeer.start({ aeTitle: 'ORTHANC', modalities: { mesh: ['TRIAGE_MESH', '127.0.0.1', dimsePort] } });
    await mesh.ready();
    client = new MeshClient(mesh.url);
  });

  afterAll(async () => {
    await orthanc?.stop();
    expect(await mesh.stop()).toBe(0);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('hands the study on once it is stable and it ends in a Critical, validated report', async () => {
    const study = generateHeadCtStudy({ haemorrhage: true, seed: 31, patient: E2E_PATIENT });
    let orthancStudy = '';
    for (const file of study.files) orthancStudy = (await orthanc.upload(file)).ParentStudy;
    // Orthanc's REST API drives its C-STORE SCU: /modalities/mesh/store.
    const job = await orthanc.storeTo('mesh', [orthancStudy]);
    expect(job).toMatchObject({ FailedInstancesCount: 0, InstancesCount: 12 });
    await expectCriticalHeadCt(client, study, 'c-store');
  });

  it('absorbs the same study sent again: no second study.received, and never logs patient data', async () => {
    const study = generateHeadCtStudy({ haemorrhage: false, seed: 32, slices: 3, patient: E2E_PATIENT });
    let orthancStudy = '';
    for (const file of study.files) orthancStudy = (await orthanc.upload(file)).ParentStudy;
    await orthanc.storeTo('mesh', [orthancStudy]);
    await client.waitForCompleteLineage(study.studyInstanceUid, 120_000);
    await orthanc.storeTo('mesh', [orthancStudy]);
    await new Promise((r) => setTimeout(r, 2500)); // longer than the source's 1 s quiet period
    const received = mesh.output.filter((l) => l.includes('study.received published') && l.includes(study.studyInstanceUid));
    expect(received).toHaveLength(1);
    expect(mesh.output.filter((l) => l.includes('study.updated published') && l.includes(study.studyInstanceUid))).toHaveLength(0);
    expect(phiLeaks(mesh.output)).toEqual([]);
  });
});
