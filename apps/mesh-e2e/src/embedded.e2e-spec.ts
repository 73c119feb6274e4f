import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MeshClient, type Lineage } from '@triage/mesh-client';
import { preliminaryReportId } from '@triage/reporting-domain';
import { generateChestXrayStudy, generateHeadCtStudy } from '@triage/samples';
import { freePort, repoRoot } from '@triage/testing';
import { E2E_PATIENT, phiLeaks } from './support/phi';
import { ServiceProcess } from './support/service-process';
import { expectReportedFlow, sendHaemorrhageHeadCt } from './support/thin-flow.expectations';

describe('the thin flow on the embedded default (one process, in-process bus, PGlite)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'mesh-e2e-'));
  let mesh: ServiceProcess;
  let client: MeshClient;

  beforeAll(async () => {
    mesh = new ServiceProcess('mesh', await freePort(), {
      MESH_MODE: 'embedded',
      DATA_DIR: dataDir,
      MODELS_DIR: join(repoRoot(), 'models', 'build'),
      LOG_LEVEL: 'debug',
    });
    mesh.start();
    await mesh.ready();
    client = new MeshClient(mesh.url);
  });

  afterAll(async () => {
    const code = await mesh.stop();
    expect(code).toBe(0);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('turns a head CT with a hyperdensity into a Critical, validated FHIR DiagnosticReport with complete lineage', async () => {
    await sendHaemorrhageHeadCt(client, 21);
  });

  it('gives a normal head CT and a chest X-ray (shadow-mode model) a Routine report with the reason stated', async () => {
    const normal = generateHeadCtStudy({ haemorrhage: false, seed: 22, patient: E2E_PATIENT });
    const cxr = generateChestXrayStudy({ seed: 23, patient: E2E_PATIENT });
    await client.stow(normal.files);
    await client.stow(cxr.files);
    for (const [study, instances] of [
      [normal, 12],
      [cxr, 1],
    ] as const) {
      const lineage: Lineage = await client.waitForCompleteLineage(study.studyInstanceUid, 90_000);
      await expectReportedFlow(client, lineage, {
        studyInstanceUid: study.studyInstanceUid,
        instances,
        priority: 'routine',
        firstRule: 'fallback',
        reportId: preliminaryReportId(study.studyInstanceUid),
        positiveLabels: [],
        patientId: E2E_PATIENT.id,
      });
    }
  });

  it('re-sending the same study stores nothing twice and issues no second report', async () => {
    const study = generateHeadCtStudy({ haemorrhage: true, seed: 24, patient: E2E_PATIENT });
    await client.stow(study.files);
    const first = await client.waitForCompleteLineage(study.studyInstanceUid, 90_000);
    await client.stow(study.files);
    const again = await client.lineageByStudy(study.studyInstanceUid);
    expect(again?.traceId).toBe(first.traceId);
    expect(again?.stages.map((s) => [s.stage, s.eventId])).toEqual(first.stages.map((s) => [s.stage, s.eventId]));
  });

  it('wrote no patient data to its logs', () => {
    expect(mesh.output.length).toBeGreaterThan(10);
    expect(phiLeaks(mesh.output)).toEqual([]);
  });
});
