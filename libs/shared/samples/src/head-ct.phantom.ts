import { mulberry32, randomInt } from './prng';
import { EXPLICIT_VR_LITTLE_ENDIAN, writePart10, type NaturalDataset } from './part10.writer';
import type { PhantomOptions, SamplePatient, SampleStudy } from './sample-study';
import { accessionFor, newUuidUid } from './uid';

export const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';

export interface HeadCtOptions extends PhantomOptions {
  haemorrhage: boolean;
  /** Number of axial slices (default 12). */
  slices?: number;
}

/**
 * Geometry of the head phantom (pixels, 256x256 matrix), exported so tests and the reference model can
 * reason about the same regions. Attenuation values are in HU; stored value = HU + 1024.
 */
export const HEAD_CT_PHANTOM = {
  size: 256,
  centre: { x: 128, y: 128 },
  head: { rx: 100, ry: 120 },
  skullThickness: 8,
  hu: { air: -1000, bone: 1000, brain: 35, ventricle: 5, haemorrhage: 70 },
  noise: 4,
  ventricles: [
    { x: 114, y: 118, rx: 8, ry: 20 },
    { x: 142, y: 118, rx: 8, ry: 20 },
  ],
  haemorrhage: { x: 172, y: 150, rx: 22, ry: 16, firstSlice: 4, lastSlice: 9 },
  pixelSpacing: 0.9,
  sliceThickness: 5,
  rescaleIntercept: -1024,
} as const;

export type HeadCtTissue = 'air' | 'bone' | 'brain' | 'ventricle' | 'haemorrhage';

function inEllipse(x: number, y: number, cx: number, cy: number, rx: number, ry: number): boolean {
  const dx = (x - cx) / rx;
  const dy = (y - cy) / ry;
  return dx * dx + dy * dy <= 1;
}

/** What the phantom puts at pixel (x, y) of 1-based slice `slice`. */
export function headCtTissueAt(x: number, y: number, slice: number, haemorrhage: boolean): HeadCtTissue {
  const g = HEAD_CT_PHANTOM;
  const { x: cx, y: cy } = g.centre;
  if (!inEllipse(x, y, cx, cy, g.head.rx, g.head.ry)) return 'air';
  if (!inEllipse(x, y, cx, cy, g.head.rx - g.skullThickness, g.head.ry - g.skullThickness)) return 'bone';
  const h = g.haemorrhage;
  if (haemorrhage && slice >= h.firstSlice && slice <= h.lastSlice && inEllipse(x, y, h.x, h.y, h.rx, h.ry)) {
    return 'haemorrhage';
  }
  if (g.ventricles.some((v) => inEllipse(x, y, v.x, v.y, v.rx, v.ry))) return 'ventricle';
  return 'brain';
}

function slicePixels(slice: number, haemorrhage: boolean, rng: () => number): Uint16Array {
  const g = HEAD_CT_PHANTOM;
  const px = new Uint16Array(g.size * g.size);
  for (let y = 0; y < g.size; y++) {
    for (let x = 0; x < g.size; x++) {
      const tissue = headCtTissueAt(x, y, slice, haemorrhage);
      let hu: number = g.hu[tissue];
      // Soft tissue gets a little noise so the image is not flat; bone and air stay exact.
      if (tissue === 'brain' || tissue === 'haemorrhage' || tissue === 'ventricle') hu += randomInt(rng, -g.noise, g.noise);
      px[y * g.size + x] = hu - g.rescaleIntercept;
    }
  }
  return px;
}

/** Generates the synthetic head CT phantom (12 axial slices, optional intraparenchymal haemorrhage). */
export function generateHeadCtStudy(opts: HeadCtOptions): SampleStudy {
  const g = HEAD_CT_PHANTOM;
  const slices = opts.slices ?? 12;
  if (!Number.isInteger(slices) || slices < 1 || slices > 512) throw new RangeError('slices must be an integer in 1..512');
  const rng = mulberry32(opts.seed ?? 1);
  const studyUid = opts.uids?.study ?? newUuidUid();
  const seriesUid = opts.uids?.series ?? newUuidUid();
  const frameUid = opts.uids?.frameOfReference ?? newUuidUid();
  const accession = opts.accessionNumber ?? accessionFor(studyUid);
  const studyDate = opts.studyDate ?? '20250301';
  const patient: SamplePatient = {
    name: opts.haemorrhage ? 'DEMO^HEAD BLEED' : 'DEMO^HEAD NORMAL',
    id: opts.haemorrhage ? 'DEMO-0001' : 'DEMO-0002',
    birthDate: '19580412',
    sex: 'M',
    ...opts.patient,
  };
  const files: Buffer[] = [];
  for (let i = 1; i <= slices; i++) {
    const sopUid = opts.uids?.instances?.[i - 1] ?? newUuidUid();
    const z = (i - 1) * g.sliceThickness;
    const ds: NaturalDataset = {
      SpecificCharacterSet: 'ISO_IR 100',
      ImageType: ['ORIGINAL', 'PRIMARY', 'AXIAL'],
      SOPClassUID: CT_IMAGE_STORAGE,
      SOPInstanceUID: sopUid,
      StudyDate: studyDate,
      SeriesDate: studyDate,
      StudyTime: '083000',
      AccessionNumber: accession,
      Modality: 'CT',
      Manufacturer: 'TRIAGE MESH PHANTOM',
      ReferringPhysicianName: '',
      StudyDescription: 'CT HEAD WO CONTRAST',
      SeriesDescription: 'AXIAL 5MM',
      PatientName: patient.name,
      PatientID: patient.id,
      PatientBirthDate: patient.birthDate,
      PatientSex: patient.sex,
      BodyPartExamined: 'HEAD',
      SliceThickness: g.sliceThickness,
      KVP: 120,
      StudyInstanceUID: studyUid,
      SeriesInstanceUID: seriesUid,
      StudyID: '1',
      SeriesNumber: 1,
      InstanceNumber: i,
      ImagePositionPatient: [-(g.size * g.pixelSpacing) / 2, -(g.size * g.pixelSpacing) / 2, z],
      ImageOrientationPatient: [1, 0, 0, 0, 1, 0],
      FrameOfReferenceUID: frameUid,
      SliceLocation: z,
      SamplesPerPixel: 1,
      PhotometricInterpretation: 'MONOCHROME2',
      Rows: g.size,
      Columns: g.size,
      PixelSpacing: [g.pixelSpacing, g.pixelSpacing],
      BitsAllocated: 16,
      BitsStored: 12,
      HighBit: 11,
      PixelRepresentation: 0,
      WindowCenter: 40,
      WindowWidth: 80,
      RescaleIntercept: g.rescaleIntercept,
      RescaleSlope: 1,
      RescaleType: 'HU',
      PixelData: slicePixels(i, opts.haemorrhage, rng).buffer,
      _vrMap: { PixelData: 'OW' },
    };
    files.push(writePart10(ds, EXPLICIT_VR_LITTLE_ENDIAN));
  }
  return {
    studyInstanceUid: studyUid,
    accessionNumber: accession,
    files,
    description: opts.haemorrhage
      ? `Head CT phantom, ${slices} slices, 70 HU intraparenchymal haemorrhage in slices ${g.haemorrhage.firstSlice}-${Math.min(g.haemorrhage.lastSlice, slices)}`
      : `Head CT phantom, ${slices} slices, no haemorrhage`,
  };
}
