import { generateChestXrayStudy } from '@triage/samples';
import { freePort, waitFor } from '@triage/testing';
import { newDataDir } from '../ingest-test.harness';
import { startOrdersApp, stowChest, type OrdersTestApp } from '../orders/orders-test.support';
import { startOrthanc, type OrthancPeer } from './orthanc.support';

describe('priors through QIDO-RS against a real Orthanc (DICOMweb plugin)', () => {
  let orthanc: OrthancPeer;
  let app: OrdersTestApp;
  const dataDir = newDataDir();
  const priors = [
    generateChestXrayStudy({ accessionNumber: 'PRIOR-1', studyDate: '20230105' }),
    generateChestXrayStudy({ accessionNumber: 'PRIOR-2', studyDate: '20240610' }),
  ];
  const otherPatient = generateChestXrayStudy({ accessionNumber: 'OTHER-1', patient: { id: 'SOMEONE-ELSE' } });

  beforeAll(async () => {
    orthanc = await startOrthanc(await freePort(), await freePort());
    for (const s of [...priors, otherPatient]) await orthanc.upload(s.files[0]);
    app = await startOrdersApp({ dataDir, env: { PRIORS_DICOMWEB_URL: orthanc.dicomweb, PRIORS_MAX: '5' } });
  });
  afterAll(async () => {
    await app?.close();
    await orthanc?.stop();
  });

  it('a new study gets study.updated (priors-attached) listing the patient\'s earlier studies, newest first', async () => {
    const uid = await stowChest(app, waitFor, 'ACC-NEW-1');
    const update = await waitFor(() => app.updated.find((e) => e.payload.study.studyInstanceUid === uid), { description: 'study.updated with priors', timeoutMs: 15_000 });
    expect(update.payload.changes).toEqual(['priors-attached']);
    expect(update.payload.revision).toBe(1);
    expect(update.payload.study.priors).toEqual([
      { studyInstanceUid: priors[1].studyInstanceUid, accessionNumber: 'PRIOR-2', studyDate: '2024-06-10', studyDescription: 'XR CHEST PA', modalities: ['DX'], retrieveUrl: `${orthanc.dicomweb}/studies/${priors[1].studyInstanceUid}` },
      { studyInstanceUid: priors[0].studyInstanceUid, accessionNumber: 'PRIOR-1', studyDate: '2023-01-05', studyDescription: 'XR CHEST PA', modalities: ['DX'], retrieveUrl: `${orthanc.dicomweb}/studies/${priors[0].studyInstanceUid}` },
    ]);
  });

  it('a study whose lookups failed (PACS down) gets its priors after a restart', async () => {
    await app.close();
    app = await startOrdersApp({ dataDir, env: { PRIORS_DICOMWEB_URL: 'http://127.0.0.1:9/dicom-web', PRIORS_TIMEOUT_MS: '500' } });
    const uid = await stowChest(app, waitFor, 'ACC-NEW-2');
    await waitFor(() => app.logLines.filter((l) => l.includes('priors lookup failed') && l.includes(uid)).length >= 3, { description: 'three failed lookups', timeoutMs: 20_000 });
    await app.close();
    app = await startOrdersApp({ dataDir, env: { PRIORS_DICOMWEB_URL: orthanc.dicomweb } });
    const update = await waitFor(() => app.updated.find((e) => e.payload.study.studyInstanceUid === uid), { description: 'priors after the restart', timeoutMs: 15_000 });
    expect(update.payload.study.priors?.map((p) => p.accessionNumber)).toEqual(['PRIOR-2', 'PRIOR-1']);
  });
});
