import { randomUUID } from 'node:crypto';
import { dcmjs, type NaturalDataset } from './dcmjs';

/**
 * Synthetic phantoms for tests (no real patient): a head CT with or without a hyperdense haematoma and
 * a PA chest radiograph, following the mesh's shared definition of the sample studies. Used by the
 * inference tests to prove the reference models separate normal from abnormal.
 */

const EXPLICIT_LE = '1.2.840.10008.1.2.1';
export const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';
export const DX_PRESENTATION_STORAGE = '1.2.840.10008.5.1.4.1.1.1.1';

/** A fresh UID under 2.25 (UUID as a decimal integer). */
export function uuidUid(): string {
  return `2.25.${BigInt(`0x${randomUUID().replace(/-/g, '')}`).toString()}`;
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Writes a naturalised data set as a Part 10 file (explicit VR little endian). */
export function writePart10(dataset: NaturalDataset): Uint8Array {
  const meta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: dataset.SOPClassUID,
    MediaStorageSOPInstanceUID: dataset.SOPInstanceUID,
    TransferSyntaxUID: EXPLICIT_LE,
    ImplementationClassUID: '2.25.1',
  };
  const dict = new dcmjs.data.DicomDict(dcmjs.data.DicomMetaDictionary.denaturalizeDataset(meta));
  dict.dict = dcmjs.data.DicomMetaDictionary.denaturalizeDataset(dataset);
  return new Uint8Array(dict.write());
}

function inEllipse(x: number, y: number, cx: number, cy: number, rx: number, ry: number): boolean {
  const dx = (x - cx) / rx;
  const dy = (y - cy) / ry;
  return dx * dx + dy * dy <= 1;
}

export interface HeadCtPhantomOptions {
  haemorrhage: boolean;
  seed?: number;
  slices?: number;
  studyInstanceUid?: string;
}

/** Hounsfield units of one head CT slice (0-based index) of the phantom. */
export function headCtSliceHu(index: number, opts: HeadCtPhantomOptions): Int16Array {
  const size = 256;
  const rand = mulberry32((opts.seed ?? 1) * 1000 + index);
  const hu = new Int16Array(size * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let v = -1000;
      if (inEllipse(x, y, 128, 128, 100, 118)) {
        v = 1000;
        if (inEllipse(x, y, 128, 128, 92, 110)) {
          v = 35 + Math.round(rand() * 8 - 4);
          if (inEllipse(x, y, 116, 124, 6, 20) || inEllipse(x, y, 140, 124, 6, 20)) v = 5;
          // Slices 4..9 (1-based) carry a 70 HU haematoma in the left hemisphere (image right).
          if (opts.haemorrhage && index >= 3 && index <= 8 && inEllipse(x, y, 175, 120, 22, 16)) v = 70;
        }
      }
      hu[y * size + x] = v;
    }
  }
  return hu;
}

/** The head CT phantom: one Part 10 file per slice. */
export function headCtPhantom(opts: HeadCtPhantomOptions): Uint8Array[] {
  const slices = opts.slices ?? 12;
  const studyUid = opts.studyInstanceUid ?? uuidUid();
  const seriesUid = uuidUid();
  return Array.from({ length: slices }, (_, i) => {
    const hu = headCtSliceHu(i, opts);
    const stored = new Uint16Array(hu.length);
    for (let p = 0; p < hu.length; p++) stored[p] = hu[p] + 1024;
    return writePart10({
      SOPClassUID: CT_IMAGE_STORAGE,
      SOPInstanceUID: uuidUid(),
      StudyInstanceUID: studyUid,
      SeriesInstanceUID: seriesUid,
      Modality: 'CT',
      BodyPartExamined: 'HEAD',
      StudyDescription: 'CT HEAD WO CONTRAST',
      PatientName: 'DEMO^HEAD BLEED',
      PatientID: 'DEMO-0001',
      InstanceNumber: i + 1,
      Rows: 256,
      Columns: 256,
      SamplesPerPixel: 1,
      PhotometricInterpretation: 'MONOCHROME2',
      BitsAllocated: 16,
      BitsStored: 12,
      HighBit: 11,
      PixelRepresentation: 0,
      RescaleSlope: 1,
      RescaleIntercept: -1024,
      WindowCenter: 40,
      WindowWidth: 80,
      PixelSpacing: [0.9, 0.9],
      SliceThickness: 5,
      ImageOrientationPatient: [1, 0, 0, 0, 1, 0],
      ImagePositionPatient: [-115.2, -115.2, 5 * i],
      PixelData: stored.buffer,
      _vrMap: { PixelData: 'OW' },
    });
  });
}

export interface ChestXrayPhantomOptions {
  seed?: number;
  /** Adds a dense consolidation to the right lung (image left), for the abnormal case. */
  opacity?: boolean;
  photometric?: 'MONOCHROME1' | 'MONOCHROME2';
}

/** A 512x512 PA chest radiograph phantom: dark lungs, bright mediastinum, heart and ribs (12-bit). */
export function chestXrayPhantom(opts: ChestXrayPhantomOptions = {}): Uint8Array {
  const size = 512;
  const rand = mulberry32(opts.seed ?? 7);
  const px = new Uint16Array(size * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let v = 300; // air outside the body
      if (inEllipse(x, y, 256, 290, 235, 260)) v = 2600; // soft tissue of the chest wall
      const rightLung = inEllipse(x, y, 150, 250, 80, 150);
      const leftLung = inEllipse(x, y, 362, 250, 80, 150);
      if (rightLung || leftLung) {
        v = 900;
        if (Math.floor(y / 28) % 2 === 0) v += 500; // ribs crossing the lung fields
        if (opts.opacity && rightLung && y > 150 && y < 380) v = 2500;
      }
      if (inEllipse(x, y, 256, 250, 38, 170)) v = 3300; // mediastinum and spine
      if (inEllipse(x, y, 290, 360, 70, 55)) v = 3100; // heart
      v += Math.round(rand() * 40 - 20);
      px[y * size + x] = opts.photometric === 'MONOCHROME1' ? 4095 - v : v;
    }
  }
  return writePart10({
    SOPClassUID: DX_PRESENTATION_STORAGE,
    SOPInstanceUID: uuidUid(),
    StudyInstanceUID: uuidUid(),
    SeriesInstanceUID: uuidUid(),
    Modality: 'DX',
    BodyPartExamined: 'CHEST',
    ViewPosition: 'PA',
    PatientName: 'DEMO^CHEST',
    PatientID: 'DEMO-0002',
    InstanceNumber: 1,
    Rows: size,
    Columns: size,
    SamplesPerPixel: 1,
    PhotometricInterpretation: opts.photometric ?? 'MONOCHROME2',
    BitsAllocated: 16,
    BitsStored: 12,
    HighBit: 11,
    PixelRepresentation: 0,
    PixelSpacing: [0.7, 0.7],
    PixelData: px.buffer,
    _vrMap: { PixelData: 'OW' },
  });
}
