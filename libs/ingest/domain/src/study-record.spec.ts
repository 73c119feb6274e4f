import { StudyReceivedV1 } from '@triage/contracts';
import type { ParsedInstance } from './part10.parser';
import { addInstance, findInstance, instanceCount, newStudyRecord, studyModalities, toStudyReceivedPayload } from './study-record';
import { matchStudy, page, parseQidoQuery, QidoQueryError, studyToQidoJson, wildcardMatch } from './qido.matcher';

const now = new Date('2025-03-01T10:00:00Z');
const sha = 'a'.repeat(64);

function inst(n: number, extra: Partial<ParsedInstance> = {}): ParsedInstance {
  return {
    studyInstanceUid: '2.25.1',
    seriesInstanceUid: '2.25.2',
    sopInstanceUid: `2.25.10${n}`,
    sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
    transferSyntaxUid: '1.2.840.10008.1.2.1',
    modality: 'CT',
    bodyPart: 'HEAD',
    instanceNumber: n,
    studyDate: '2025-03-01',
    studyDescription: 'CT HEAD WO CONTRAST',
    accessionNumber: 'A123',
    patient: { id: 'P1', name: 'DEMO^X', sex: 'M' },
    ...extra,
  };
}

describe('study record', () => {
  it('collects instances per series in instance order and ignores a repeated SOP instance', () => {
    const r = newStudyRecord(inst(2), '0af7651916cd43dd8448eb211c80319c', now);
    expect(addInstance(r, inst(2), { sizeBytes: 10, sha256: sha }, now)).toBe(true);
    expect(addInstance(r, inst(1), { sizeBytes: 10, sha256: sha }, now)).toBe(true);
    expect(addInstance(r, inst(1), { sizeBytes: 10, sha256: sha }, now)).toBe(false);
    expect(addInstance(r, inst(1, { sopInstanceUid: '2.25.200', seriesInstanceUid: '2.25.3', modality: 'SR', bodyPart: undefined }), { sizeBytes: 5, sha256: sha }, now)).toBe(true);
    expect(instanceCount(r)).toBe(3);
    expect(r.series[0].instances.map((i) => i.instanceNumber)).toEqual([1, 2]);
    expect(studyModalities(r)).toEqual(['CT', 'SR']);
    expect(findInstance(r, '2.25.200')?.series.seriesInstanceUid).toBe('2.25.3');
    expect(r.unpublished).toBe(true);
  });

  it('builds a study.received payload that satisfies the contract', () => {
    const r = newStudyRecord(inst(1), '0af7651916cd43dd8448eb211c80319c', now);
    for (let n = 1; n <= 12; n++) addInstance(r, inst(n), { sizeBytes: 100, sha256: sha }, now);
    const payload = toStudyReceivedPayload(r, { protocol: 'stow-rs', retrieveUrl: 'http://127.0.0.1:1/dicomweb/studies/2.25.1' });
    const parsed = StudyReceivedV1.parse(payload);
    expect(parsed.instanceCount).toBe(12);
    expect(parsed.study).toMatchObject({ studyInstanceUid: '2.25.1', modalities: ['CT'], bodyPart: 'HEAD', accessionNumber: 'A123', studyDate: '2025-03-01' });
    expect(parsed.origin).toEqual({ protocol: 'stow-rs' });
  });
});

describe('QIDO-RS matching', () => {
  const a = newStudyRecord(inst(1), '0af7651916cd43dd8448eb211c80319c', now);
  addInstance(a, inst(1), { sizeBytes: 1, sha256: sha }, now);
  const b = newStudyRecord(inst(1, { studyInstanceUid: '2.25.9', accessionNumber: 'B777', studyDate: '2024-12-31', modality: 'DX' }), '0af7651916cd43dd8448eb211c80319d', now);
  addInstance(b, inst(1, { studyInstanceUid: '2.25.9', sopInstanceUid: '2.25.900', modality: 'DX' }), { sizeBytes: 1, sha256: sha }, now);
  const find = (q: Record<string, string>) => [a, b].filter((r) => matchStudy(r, parseQidoQuery(q))).map((r) => r.studyInstanceUid);

  it('matches by UID list, accession (with wildcards), modality and date ranges, by keyword or tag', () => {
    expect(find({})).toEqual(['2.25.1', '2.25.9']);
    expect(find({ StudyInstanceUID: '2.25.9' })).toEqual(['2.25.9']);
    expect(find({ '0020000D': '2.25.1,2.25.9' })).toEqual(['2.25.1', '2.25.9']);
    expect(find({ AccessionNumber: 'B7*' })).toEqual(['2.25.9']);
    expect(find({ '00080050': 'A12?' })).toEqual(['2.25.1']);
    expect(find({ ModalitiesInStudy: 'ct' })).toEqual(['2.25.1']);
    expect(find({ StudyDate: '20250301' })).toEqual(['2.25.1']);
    expect(find({ StudyDate: '20240101-20241231' })).toEqual(['2.25.9']);
    expect(find({ StudyDate: '-20250101' })).toEqual(['2.25.9']);
    expect(find({ StudyDate: '20250101-' })).toEqual(['2.25.1']);
    expect(find({ includefield: 'all' })).toHaveLength(2);
  });

  it('rejects bad query values and pages results', () => {
    expect(() => parseQidoQuery({ StudyDate: '20250230' })).toThrow(QidoQueryError);
    expect(() => parseQidoQuery({ limit: '-1' })).toThrow(QidoQueryError);
    expect(page([1, 2, 3, 4], parseQidoQuery({ offset: '1', limit: '2' }))).toEqual([2, 3]);
    expect(wildcardMatch('a.c', 'abc')).toBe(false);
  });

  it('renders study results as DICOM JSON', () => {
    const json = studyToQidoJson(a, 'http://h/dicomweb/studies/2.25.1');
    expect(json['0020000D']).toEqual({ vr: 'UI', Value: ['2.25.1'] });
    expect(json['00080020']).toEqual({ vr: 'DA', Value: ['20250301'] });
    expect(json['00080061']).toEqual({ vr: 'CS', Value: ['CT'] });
    expect(json['00201208']).toEqual({ vr: 'IS', Value: [1] });
    expect(json['00100010']).toEqual({ vr: 'PN', Value: [{ Alphabetic: 'DEMO^X' }] });
  });
});
