import { DicomUidSchema } from '@triage/contracts';
import { CHEST_XRAY_PHANTOM, generateChestXrayStudy } from './chest-xray.phantom';
import { generateHeadCtStudy, HEAD_CT_PHANTOM, headCtTissueAt } from './head-ct.phantom';

const dcmjs = require('dcmjs');
dcmjs.log.setLevel('silent');

// Naturalized dcmjs data sets are untyped; the tests read a few keywords from them.
type Dataset = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function read(file: Buffer): { meta: Record<string, unknown>; ds: Dataset } {
  const ab = file.buffer.slice(file.byteOffset, file.byteOffset + file.length);
  const dict = dcmjs.data.DicomMessage.readFile(ab);
  return {
    meta: dcmjs.data.DicomMetaDictionary.naturalizeDataset(dict.meta),
    ds: dcmjs.data.DicomMetaDictionary.naturalizeDataset(dict.dict),
  };
}

function huOf(ds: Dataset): Int32Array {
  const px = new Uint16Array(ds.PixelData[0] as ArrayBuffer);
  return Int32Array.from(px, (v) => v * ds.RescaleSlope + ds.RescaleIntercept);
}

describe('head CT phantom', () => {
  const uids = { study: '2.25.1', series: '2.25.2', frameOfReference: '2.25.3', instances: Array.from({ length: 12 }, (_, i) => `2.25.10${i}`) };

  it('writes 12 Part 10 CT slices with the agreed attributes', () => {
    const study = generateHeadCtStudy({ haemorrhage: false });
    expect(study.files).toHaveLength(12);
    expect(DicomUidSchema.safeParse(study.studyInstanceUid).success).toBe(true);
    expect(study.studyInstanceUid.startsWith('2.25.')).toBe(true);
    const sopUids = new Set<string>();
    study.files.forEach((file, i) => {
      expect(file.subarray(128, 132).toString('latin1')).toBe('DICM');
      const { meta, ds } = read(file);
      expect(meta.TransferSyntaxUID).toBe('1.2.840.10008.1.2.1');
      expect(ds.SOPClassUID).toBe('1.2.840.10008.5.1.4.1.1.2');
      expect(ds.Modality).toBe('CT');
      expect(ds.BodyPartExamined).toBe('HEAD');
      expect(ds.StudyDescription).toBe('CT HEAD WO CONTRAST');
      expect([ds.Rows, ds.Columns, ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation]).toEqual([256, 256, 16, 12, 11, 0]);
      expect(ds.PhotometricInterpretation).toBe('MONOCHROME2');
      expect([ds.RescaleSlope, ds.RescaleIntercept, ds.WindowCenter, ds.WindowWidth]).toEqual([1, -1024, 40, 80]);
      expect(ds.PixelSpacing).toEqual([0.9, 0.9]);
      expect(ds.SliceThickness).toBe(5);
      expect(ds.ImageOrientationPatient).toEqual([1, 0, 0, 0, 1, 0]);
      expect(ds.ImagePositionPatient[2]).toBe(i * 5);
      expect(ds.InstanceNumber).toBe(i + 1);
      expect(ds.StudyInstanceUID).toBe(study.studyInstanceUid);
      expect(ds.AccessionNumber).toBe(study.accessionNumber);
      sopUids.add(ds.SOPInstanceUID);
    });
    expect(sopUids.size).toBe(12);
  });

  it('is byte-identical for the same seed and UIDs, and differs for another seed', () => {
    const a = generateHeadCtStudy({ haemorrhage: true, seed: 5, uids });
    const b = generateHeadCtStudy({ haemorrhage: true, seed: 5, uids });
    const c = generateHeadCtStudy({ haemorrhage: true, seed: 6, uids });
    expect(a.files.map((f) => f.toString('base64'))).toEqual(b.files.map((f) => f.toString('base64')));
    expect(a.files[0].equals(c.files[0])).toBe(false);
    expect(generateHeadCtStudy({ haemorrhage: true }).studyInstanceUid).not.toBe(generateHeadCtStudy({ haemorrhage: true }).studyInstanceUid);
  });

  it('keeps every brain pixel within 20..45 HU without haemorrhage; air, bone and ventricles as specified', () => {
    const study = generateHeadCtStudy({ haemorrhage: false, seed: 3, uids });
    const size = HEAD_CT_PHANTOM.size;
    study.files.forEach((file, i) => {
      const hu = huOf(read(file).ds);
      const wrong: string[] = [];
      const counts = { brain: 0, air: 0, bone: 0, ventricle: 0, haemorrhage: 0 };
      for (let p = 0; p < hu.length; p++) {
        const tissue = headCtTissueAt(p % size, Math.floor(p / size), i + 1, false);
        counts[tissue]++;
        const ok =
          tissue === 'brain' ? hu[p] >= 20 && hu[p] <= 45
          : tissue === 'air' ? hu[p] === -1000
          : tissue === 'bone' ? hu[p] === 1000
          : tissue === 'ventricle' ? Math.abs(hu[p] - 5) <= 4
          : false;
        if (!ok) wrong.push(`${tissue}@${p}=${hu[p]}`);
      }
      expect(wrong).toEqual([]);
      expect(counts.brain).toBeGreaterThan(25000);
      expect(counts.bone).toBeGreaterThan(4000);
      expect(counts.ventricle).toBeGreaterThan(500);
    });
  });

  it('puts a ~70 HU haemorrhage in slices 4 to 9 of one hemisphere only', () => {
    const study = generateHeadCtStudy({ haemorrhage: true, seed: 3, uids });
    const size = HEAD_CT_PHANTOM.size;
    study.files.forEach((file, i) => {
      const hu = huOf(read(file).ds);
      const bleed: number[] = [];
      for (let p = 0; p < hu.length; p++) if (hu[p] >= 60 && hu[p] <= 80) bleed.push(p);
      if (i + 1 >= 4 && i + 1 <= 9) {
        expect(bleed.length).toBeGreaterThan(800); // ellipse 22x16 px ≈ 1100 px
        expect(bleed.every((p) => p % size > HEAD_CT_PHANTOM.centre.x)).toBe(true);
      } else {
        expect(bleed).toHaveLength(0);
      }
    });
  });
});

describe('chest X-ray phantom', () => {
  it('writes one DX for-presentation PA instance with dark lungs and a bright mediastinum', () => {
    const study = generateChestXrayStudy({ seed: 2 });
    expect(study.files).toHaveLength(1);
    const { meta, ds } = read(study.files[0]);
    expect(meta.TransferSyntaxUID).toBe('1.2.840.10008.1.2.1');
    expect(ds.SOPClassUID).toBe('1.2.840.10008.5.1.4.1.1.1.1');
    expect([ds.Modality, ds.BodyPartExamined, ds.ViewPosition]).toEqual(['DX', 'CHEST', 'PA']);
    expect([ds.Rows, ds.Columns, ds.BitsAllocated, ds.BitsStored]).toEqual([512, 512, 16, 12]);
    expect(ds.PixelSpacing).toEqual([0.7, 0.7]);
    const px = new Uint16Array(ds.PixelData[0] as ArrayBuffer);
    const at = (x: number, y: number) => px[y * CHEST_XRAY_PHANTOM.size + x];
    const lung = CHEST_XRAY_PHANTOM.lungs[0];
    const lungValues = [at(lung.x, lung.y + 5), at(lung.x, lung.y + 20)].sort((a, b) => a - b);
    expect(lungValues[0]).toBeLessThan(1000);
    expect(at(256, 200)).toBeGreaterThan(3000);
    expect(px.reduce((m, v) => Math.max(m, v), 0)).toBeLessThanOrEqual(4095);
    expect(generateChestXrayStudy({ seed: 2, uids: { study: '2.25.1', series: '2.25.2', instances: ['2.25.3'] } }).files[0].equals(
      generateChestXrayStudy({ seed: 2, uids: { study: '2.25.1', series: '2.25.2', instances: ['2.25.3'] } }).files[0],
    )).toBe(true);
  });
});
