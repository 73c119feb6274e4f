import type { DicomImage } from './dicom-image';
import { regionsOfBodyPart, regionsOfDescription, wrongBodyPartFindings } from './body-part';

const image = (bodyPart?: string, requestedProcedureDescription?: string) => ({ bodyPart, requestedProcedureDescription }) as DicomImage;

describe('wrong body part for the order', () => {
  it('maps BodyPartExamined terms and order wording to regions', () => {
    expect([...regionsOfBodyPart('HEAD')!]).toEqual(['HEAD']);
    expect([...regionsOfBodyPart('chestabdpelvis')!]).toEqual(['CHEST', 'ABDOMEN', 'PELVIS']);
    expect(regionsOfBodyPart('SOMETHING')).toBeUndefined();
    expect([...regionsOfDescription('CT HEAD WO CONTRAST')!]).toEqual(['HEAD']);
    expect([...regionsOfDescription('XR CHEST PA/LAT')!]).toEqual(['CHEST']);
    expect(regionsOfDescription('FOLLOW-UP')).toBeUndefined();
  });

  it('flags head images for a chest order, as a non-critical quality finding', () => {
    const [f] = wrongBodyPartFindings('XR CHEST PA', [image('HEAD')]);
    expect(f).toMatchObject({ kind: 'quality', label: 'body-part-mismatch', positive: true, critical: false });
  });

  it('prefers the worklist RequestedProcedureDescription over the StudyDescription', () => {
    expect(wrongBodyPartFindings('CT HEAD', [image('CHEST', 'CT CHEST WITH CONTRAST')])).toEqual([]);
    expect(wrongBodyPartFindings('CT CHEST', [image('CHEST', 'CT HEAD WO')])).toHaveLength(1);
  });

  it('stays silent when the regions overlap or either side is unknown', () => {
    expect(wrongBodyPartFindings('CT CHEST ABDOMEN PELVIS', [image('ABDOMEN')])).toEqual([]);
    expect(wrongBodyPartFindings('CT HEAD', [image('WHOLEBODY')])).toEqual([]);
    expect(wrongBodyPartFindings(undefined, [image('HEAD')])).toEqual([]);
    expect(wrongBodyPartFindings('CT CHEST', [image(undefined)])).toEqual([]);
    expect(wrongBodyPartFindings('CT CHEST', [image('UNKNOWNPART')])).toEqual([]);
  });
});
