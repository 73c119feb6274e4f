import { mulberry32, randomInt } from './prng';
import { EXPLICIT_VR_LITTLE_ENDIAN, writePart10, type NaturalDataset } from './part10.writer';
import type { PhantomOptions, SamplePatient, SampleStudy } from './sample-study';
import { accessionFor, newUuidUid } from './uid';

export const DX_FOR_PRESENTATION_STORAGE = '1.2.840.10008.5.1.4.1.1.1.1';

export type ChestXrayOptions = PhantomOptions;

/** Geometry and intensities (12-bit stored values) of the chest phantom, 512x512. */
export const CHEST_XRAY_PHANTOM = {
  size: 512,
  level: { air: 150, softTissue: 1900, lung: 700, mediastinum: 3200, rib: 2700, spine: 3400 },
  body: { x: 256, y: 280, rx: 220, ry: 250 },
  lungs: [
    { x: 170, y: 250, rx: 80, ry: 160 },
    { x: 342, y: 250, rx: 80, ry: 160 },
  ],
  heart: { x: 290, y: 330, rx: 75, ry: 70 },
  mediastinum: { x0: 226, x1: 286, y0: 80, y1: 420 },
  ribSpacing: 38,
  ribThickness: 9,
  noise: 20,
  pixelSpacing: 0.7,
} as const;

function inEllipse(x: number, y: number, e: { x: number; y: number; rx: number; ry: number }): boolean {
  const dx = (x - e.x) / e.rx;
  const dy = (y - e.y) / e.ry;
  return dx * dx + dy * dy <= 1;
}

function chestLevel(x: number, y: number): number {
  const g = CHEST_XRAY_PHANTOM;
  if (!inEllipse(x, y, g.body)) return g.level.air;
  const m = g.mediastinum;
  if (x >= m.x0 && x <= m.x1 && y >= m.y0 && y <= m.y1) return x >= 246 && x <= 266 ? g.level.spine : g.level.mediastinum;
  if (inEllipse(x, y, g.heart)) return g.level.mediastinum;
  const lung = g.lungs.find((l) => inEllipse(x, y, l));
  if (lung) {
    // Ribs: bands that curve down towards the sides, laid over the lung fields.
    const curve = ((x - 256) / 256) ** 2 * 60;
    const phase = (y - curve + 1000) % g.ribSpacing;
    return phase < g.ribThickness ? g.level.rib : g.level.lung;
  }
  return g.level.softTissue;
}

/** Generates the synthetic PA chest radiograph (one DX instance, 512x512, 12-bit). */
export function generateChestXrayStudy(opts: ChestXrayOptions = {}): SampleStudy {
  const g = CHEST_XRAY_PHANTOM;
  const rng = mulberry32(opts.seed ?? 1);
  const studyUid = opts.uids?.study ?? newUuidUid();
  const seriesUid = opts.uids?.series ?? newUuidUid();
  const sopUid = opts.uids?.instances?.[0] ?? newUuidUid();
  const accession = opts.accessionNumber ?? accessionFor(studyUid);
  const studyDate = opts.studyDate ?? '20250301';
  const patient: SamplePatient = { name: 'DEMO^CHEST', id: 'DEMO-0003', birthDate: '19710923', sex: 'F', ...opts.patient };
  const px = new Uint16Array(g.size * g.size);
  for (let y = 0; y < g.size; y++) {
    for (let x = 0; x < g.size; x++) {
      const v = chestLevel(x, y) + randomInt(rng, -g.noise, g.noise);
      px[y * g.size + x] = Math.max(0, Math.min(4095, v));
    }
  }
  const ds: NaturalDataset = {
    SpecificCharacterSet: 'ISO_IR 100',
    ImageType: ['ORIGINAL', 'PRIMARY'],
    SOPClassUID: DX_FOR_PRESENTATION_STORAGE,
    SOPInstanceUID: sopUid,
    StudyDate: studyDate,
    SeriesDate: studyDate,
    StudyTime: '091500',
    AccessionNumber: accession,
    Modality: 'DX',
    PresentationIntentType: 'FOR PRESENTATION',
    Manufacturer: 'TRIAGE MESH PHANTOM',
    ReferringPhysicianName: '',
    StudyDescription: 'XR CHEST PA',
    SeriesDescription: 'PA',
    PatientName: patient.name,
    PatientID: patient.id,
    PatientBirthDate: patient.birthDate,
    PatientSex: patient.sex,
    BodyPartExamined: 'CHEST',
    ViewPosition: 'PA',
    ImagerPixelSpacing: [g.pixelSpacing, g.pixelSpacing],
    StudyInstanceUID: studyUid,
    SeriesInstanceUID: seriesUid,
    StudyID: '1',
    SeriesNumber: 1,
    InstanceNumber: 1,
    PatientOrientation: ['L', 'F'],
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    Rows: g.size,
    Columns: g.size,
    PixelSpacing: [g.pixelSpacing, g.pixelSpacing],
    BitsAllocated: 16,
    BitsStored: 12,
    HighBit: 11,
    PixelRepresentation: 0,
    PixelIntensityRelationship: 'LOG',
    PixelIntensityRelationshipSign: 1,
    WindowCenter: 2048,
    WindowWidth: 4096,
    RescaleIntercept: 0,
    RescaleSlope: 1,
    RescaleType: 'US',
    PixelData: px.buffer,
    _vrMap: { PixelData: 'OW' },
  };
  return {
    studyInstanceUid: studyUid,
    accessionNumber: accession,
    files: [writePart10(ds, EXPLICIT_VR_LITTLE_ENDIAN)],
    description: 'Chest X-ray phantom, PA, 512x512',
  };
}
