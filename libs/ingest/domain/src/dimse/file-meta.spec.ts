import { dcmjs } from '../dcmjs.facade';
import { checkPart10Structure } from '../dicom-structure';
import { MESH_IMPLEMENTATION, part10Header, type FileMetaInput } from './file-meta';

/** What dcmjs writes for the same meta group (the reference the hand-written encoder is held to). */
function viaDcmjs(input: FileMetaInput): Buffer {
  const meta: Record<string, { vr: string; Value: unknown[] }> = {
    '00020001': { vr: 'OB', Value: [new Uint8Array([0, 1]).buffer] },
    '00020002': { vr: 'UI', Value: [input.sopClassUid] },
    '00020003': { vr: 'UI', Value: [input.sopInstanceUid] },
    '00020010': { vr: 'UI', Value: [input.transferSyntaxUid] },
    '00020012': { vr: 'UI', Value: [MESH_IMPLEMENTATION.classUid] },
    '00020013': { vr: 'SH', Value: [MESH_IMPLEMENTATION.versionName] },
  };
  if (input.sourceAeTitle) meta['00020016'] = { vr: 'AE', Value: [input.sourceAeTitle] };
  return Buffer.from(new dcmjs.data.DicomDict(meta).write());
}

describe('part10Header', () => {
  it.each([
    { sopClassUid: '1.2.840.10008.5.1.4.1.1.2', sopInstanceUid: '1.2.3.45', transferSyntaxUid: '1.2.840.10008.1.2', sourceAeTitle: 'STORESCU' },
    { sopClassUid: '1.2.840.10008.5.1.4.1.1.7', sopInstanceUid: '2.25.1234567', transferSyntaxUid: '1.2.840.10008.1.2.4.90', sourceAeTitle: 'CT1' },
    { sopClassUid: '1.2.840.10008.5.1.4.1.1.88.22', sopInstanceUid: '1.2.3.4', transferSyntaxUid: '1.2.840.10008.1.2.1' },
  ])('writes the same bytes as dcmjs for $sopInstanceUid in $transferSyntaxUid', (input) => {
    const ours = part10Header(input);
    expect(ours.equals(viaDcmjs(input))).toBe(true);
  });

  it('is a file meta the structure check accepts, with the transfer syntax given', () => {
    const header = part10Header({ sopClassUid: '1.2.840.10008.5.1.4.1.1.2', sopInstanceUid: '1.2.3', transferSyntaxUid: '1.2.840.10008.1.2.5' });
    expect(checkPart10Structure(header)).toMatchObject({ transferSyntaxUid: '1.2.840.10008.1.2.5', datasetOffset: header.length, pixelDataOffset: undefined });
  });
});
