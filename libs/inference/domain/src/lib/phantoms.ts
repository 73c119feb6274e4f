import { CHEST_XRAY_PHANTOM, generateChestXrayStudy, writePart10 } from '@triage/samples';
import { dcmjs } from './dcmjs';

/**
 * Variants of the shared chest X-ray phantom (@triage/samples) that the reference chest model must tell
 * apart: a dense consolidation in the right lung, and MONOCHROME1 encoding. Synthetic test data only.
 */
export interface ChestXrayVariantOptions {
  seed?: number;
  /** Replaces the lower two thirds of the right lung (image left) with consolidation-like density. */
  opacity?: boolean;
  photometric?: 'MONOCHROME1' | 'MONOCHROME2';
  /** Exposure faults for the quality checks: a flat image, or the upper half clipped at the 12-bit maximum. */
  exposure?: 'blank' | 'saturated';
  /** false drops PixelSpacing and ImagerPixelSpacing. */
  pixelSpacing?: boolean;
  /** ViewPosition (0018,5101); the phantom is PA. */
  viewPosition?: string;
}

/** The shared chest phantom, optionally with a consolidation, MONOCHROME1 encoding or an image quality fault. */
export function chestXrayVariant(opts: ChestXrayVariantOptions = {}): Buffer {
  const [file] = generateChestXrayStudy({ seed: opts.seed }).files;
  const dict = dcmjs.data.DicomMessage.readFile(file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength) as ArrayBuffer);
  const ds = dcmjs.data.DicomMetaDictionary.naturalizeDataset(dict.dict);
  const px = new Uint16Array((ds.PixelData as ArrayBuffer[])[0].slice(0));
  const g = CHEST_XRAY_PHANTOM;
  const lung = g.lungs[0];
  for (let y = 0; y < g.size; y++) {
    for (let x = 0; x < g.size; x++) {
      const i = y * g.size + x;
      const dx = (x - lung.x) / lung.rx;
      const dy = (y - lung.y) / lung.ry;
      if (opts.opacity && dx * dx + dy * dy <= 1 && y > lung.y - lung.ry / 3) px[i] = 2900;
      if (opts.exposure === 'blank') px[i] = 2000;
      if (opts.exposure === 'saturated' && y < g.size / 2) px[i] = 4095;
      if (opts.photometric === 'MONOCHROME1') px[i] = 4095 - px[i];
    }
  }
  if (opts.viewPosition) ds.ViewPosition = opts.viewPosition;
  if (opts.pixelSpacing === false) {
    delete ds.PixelSpacing;
    delete ds.ImagerPixelSpacing;
  }
  ds.PixelData = px.buffer;
  ds._vrMap = { PixelData: 'OW' };
  if (opts.photometric === 'MONOCHROME1') {
    ds.PhotometricInterpretation = 'MONOCHROME1';
    // The window must follow the inversion of the stored values; LINEAR centres the window at c - 0.5,
    // so the mirror image of centre c is 4096 - c.
    ds.WindowCenter = 4096 - Number(ds.WindowCenter);
  }
  return writePart10(ds);
}
