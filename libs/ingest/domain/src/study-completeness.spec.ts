import type { ParsedInstance } from './part10.parser';
import { pendingStudyEvent, settlesAt, toStudyUpdatedPayload } from './study-completeness';
import { addInstance, newStudyRecord } from './study-record';

const instance = (sop: string): ParsedInstance => ({
  studyInstanceUid: '2.25.1',
  seriesInstanceUid: '2.25.2',
  sopInstanceUid: sop,
  sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
  transferSyntaxUid: '1.2.840.10008.1.2.1',
  modality: 'CT',
  patient: { id: 'P1' },
});

describe('study completeness', () => {
  it('gives a study one study.received, then study.updated revisions with the instances added', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const record = newStudyRecord(instance('2.25.10'), 'a'.repeat(32), now, 'c-store');
    addInstance(record, instance('2.25.10'), { sizeBytes: 1, sha256: 'x' }, now);
    expect(pendingStudyEvent(record)).toEqual({ kind: 'received' });
    record.publishedInstanceCount = 1;
    addInstance(record, instance('2.25.11'), { sizeBytes: 1, sha256: 'y' }, now);
    addInstance(record, instance('2.25.12'), { sizeBytes: 1, sha256: 'z' }, now);
    expect(pendingStudyEvent(record)).toEqual({ kind: 'updated', revision: 1, addedInstanceCount: 2 });
    record.revision = 1;
    expect(pendingStudyEvent(record)).toMatchObject({ revision: 2 });
    const payload = toStudyUpdatedPayload(record, { revision: 2, addedInstanceCount: 2 }, { retrieveUrl: 'http://mesh/studies/2.25.1', peer: 'CT1' });
    expect(payload).toMatchObject({ changes: ['instances-added'], revision: 2, addedInstanceCount: 2, instanceCount: 3, origin: { protocol: 'c-store', peer: 'CT1' } });
  });

  it('settles a study its quiet period after its last change', () => {
    const record = newStudyRecord(instance('2.25.10'), 'a'.repeat(32), new Date('2026-01-01T00:00:00Z'));
    expect(settlesAt(record, 5000)).toBe(Date.parse('2026-01-01T00:00:05Z'));
  });
});
