import { priorsFingerprint, priorsQuery, toPriors, type QidoStudy } from './qido-priors';

const study = (uid: string, date: string, extra: QidoStudy = {}): QidoStudy => ({
  '0020000D': { vr: 'UI', Value: [uid] },
  '00080020': { vr: 'DA', Value: [date] },
  '00080050': { vr: 'SH', Value: ['ACC'] },
  '00080061': { vr: 'CS', Value: ['CT', 'SR'] },
  '00081030': { vr: 'LO', Value: ['CT HEAD'] },
  '00100020': { vr: 'LO', Value: ['P1'] },
  ...extra,
});

describe('toPriors', () => {
  const url = (uid: string) => `http://pacs/dicom-web/studies/${uid}`;

  it('keeps other studies newest first, drops the current one, bad UIDs and other issuers, caps the count', () => {
    const answer = [
      study('1.2.3', '20200101'),
      study('1.2.4', '20240101'),
      study('1.2.9', '20250101'),
      study('../etc', '20230101'),
      study('1.2.5', '20230101', { '00100021': { vr: 'LO', Value: ['OTHER'] } }),
      study('1.2.7', '20250101', { '00100020': { vr: 'LO', Value: ['P10'] } }),
      study('1.2.6', '20220101'),
    ];
    const priors = toPriors(answer, { studyInstanceUid: '1.2.9', patientId: 'P1', issuer: 'HOSP' }, url, 2);
    expect(priors).toEqual([
      { studyInstanceUid: '1.2.4', accessionNumber: 'ACC', studyDate: '2024-01-01', studyDescription: 'CT HEAD', modalities: ['CT', 'SR'], retrieveUrl: url('1.2.4') },
      { studyInstanceUid: '1.2.6', accessionNumber: 'ACC', studyDate: '2022-01-01', studyDescription: 'CT HEAD', modalities: ['CT', 'SR'], retrieveUrl: url('1.2.6') },
    ]);
    expect(priorsFingerprint(priors)).toBe(priorsFingerprint([...priors].reverse()));
  });

  it('does not query with a patient id QIDO would read as a wildcard', () => {
    expect(priorsQuery('P*')).toBeUndefined();
    expect(priorsQuery('A\\B')).toBeUndefined();
    expect(priorsQuery('P1')).toEqual({ PatientID: 'P1', includefield: '00081030' });
  });
});
