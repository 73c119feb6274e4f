import { decodeDicomImage, type DicomImage } from './dicom-image';
import type { Preprocessing } from './model-manifest';
import { generateHeadCtStudy } from '@triage/samples';
import { chestXrayVariant } from './phantoms';
import { intensityToUnit, intensityWindow, preprocessFrame, resizeBilinear, windowToUnit } from './preprocess';

const HEAD: Preprocessing = {
  intensity: { kind: 'hu-window', center: 50, width: 100 },
  resize: { height: 256, width: 256, method: 'bilinear' },
  normalise: { min: 0, max: 1 },
  invertMonochrome1: true,
};
const CXR: Preprocessing = {
  intensity: { kind: 'voi-lut', fallback: 'min-max', prefer: 'window' },
  resize: { height: 224, width: 224, method: 'bilinear' },
  normalise: { min: 0, max: 1 },
  invertMonochrome1: true,
};

const fractionIn = (xs: Float32Array, lo: number, hi: number) => xs.filter((v) => v >= lo && v <= hi).length / xs.length;

describe('windowing', () => {
  it('maps the window linearly onto 0..1 and clamps outside it', () => {
    expect(Array.from(windowToUnit(Float32Array.from([-1000, 0, 50, 70, 100, 1000]), 0, 100))).toEqual([0, 0, 0.5, 0.699999988079071, 1, 1]);
  });

  it('falls back to the frame minimum and maximum for voi-lut without a window or LUT', () => {
    const frame = Float32Array.from([10, 20, 30]);
    expect(intensityWindow(frame, CXR.intensity)).toEqual([10, 30]);
    expect(intensityWindow(Float32Array.from([5, 5]), CXR.intensity)).toEqual([5, 6]);
  });

  const base = { rows: 1, columns: 5, photometric: 'MONOCHROME2', transferSyntaxUid: '1.2.840.10008.1.2.1', voiLutFunction: 'LINEAR' } as DicomImage;
  const frame = Float32Array.from([-10, 1, 40, 79, 200]);
  const voi = (img: Partial<DicomImage>, prefer: 'window' | 'lut' = 'window') =>
    Array.from(intensityToUnit({ ...base, frames: [frame], ...img }, frame, { kind: 'voi-lut', fallback: 'min-max', prefer })).map((v) => Number(v.toFixed(4)));

  it('applies the instance window with the LINEAR function of PS3.3 C.11.2.1.2.1', () => {
    // c=40, w=80: values <= 0 map to 0, > 79 to 1, else ((x - 39.5) / 79 + 0.5).
    expect(voi({ windowCenter: 40, windowWidth: 80 })).toEqual([0, 0.0127, 0.5063, 1, 1]);
  });

  it('applies LINEAR_EXACT and SIGMOID when VOILUTFunction says so', () => {
    expect(voi({ windowCenter: 40, windowWidth: 80, voiLutFunction: 'LINEAR_EXACT' })).toEqual([0, 0.0125, 0.5, 0.9875, 1]);
    const sig = voi({ windowCenter: 40, windowWidth: 80, voiLutFunction: 'SIGMOID' });
    expect(sig[2]).toBe(0.5);
    expect(sig[0]).toBeCloseTo(1 / (1 + Math.exp(2.5)), 4);
    expect(sig[4]).toBeGreaterThan(0.99);
  });

  it('applies the VOI LUT Sequence (clamped at both ends), and prefers it over the window when asked', () => {
    // 4 entries from modality value -1: -1 -> 0, 0 -> 1000, 1 -> 2000, 2 -> 4095 (12-bit output); outside clamps.
    const voiLut = { firstMapped: -1, bits: 12, data: Uint16Array.from([0, 1000, 2000, 4095]) };
    expect(voi({ voiLut })).toEqual([0, 0.4884, 1, 1, 1]);
    expect(voi({ voiLut, windowCenter: 40, windowWidth: 80 })).toEqual([0, 0.0127, 0.5063, 1, 1]);
    expect(voi({ voiLut, windowCenter: 40, windowWidth: 80 }, 'lut')).toEqual([0, 0.4884, 1, 1, 1]);
  });
});

describe('resizeBilinear', () => {
  it('returns the same values at the same size', () => {
    const src = Float32Array.from([1, 2, 3, 4]);
    expect(Array.from(resizeBilinear(src, 2, 2, 2, 2))).toEqual([1, 2, 3, 4]);
  });

  it('interpolates with half-pixel centres when enlarging and averages when halving', () => {
    expect(Array.from(resizeBilinear(Float32Array.from([0, 4]), 1, 2, 1, 4))).toEqual([0, 1, 3, 4]);
    expect(Array.from(resizeBilinear(Float32Array.from([0, 2, 4, 6]), 1, 4, 1, 2))).toEqual([1, 5]);
  });
});

describe('preprocessFrame on the phantoms', () => {
  it('puts the haematoma (and only it) into the 0.5..0.9 band of the head window', () => {
    const bleed = generateHeadCtStudy({ haemorrhage: true }).files.map((f) => decodeDicomImage(f));
    const normal = generateHeadCtStudy({ haemorrhage: false }).files.map((f) => decodeDicomImage(f));
    const bleedSlice = preprocessFrame(bleed[5], 0, HEAD);
    expect(bleedSlice).toHaveLength(256 * 256);
    expect(fractionIn(bleedSlice, 0.5, 0.9)).toBeGreaterThan(0.012);
    expect(fractionIn(preprocessFrame(bleed[0], 0, HEAD), 0.5, 0.9)).toBe(0);
    for (const img of normal) expect(fractionIn(preprocessFrame(img, 0, HEAD), 0.5, 0.9)).toBe(0);
  });

  it('inverts MONOCHROME1 so it matches the MONOCHROME2 rendering', () => {
    const m2 = preprocessFrame(decodeDicomImage(chestXrayVariant({ seed: 3 })), 0, CXR);
    const m1 = preprocessFrame(decodeDicomImage(chestXrayVariant({ seed: 3, photometric: 'MONOCHROME1' })), 0, CXR);
    expect(m1).toHaveLength(224 * 224);
    let maxDiff = 0;
    for (let i = 0; i < m1.length; i++) maxDiff = Math.max(maxDiff, Math.abs(m1[i] - m2[i]));
    expect(maxDiff).toBeLessThan(1e-5);
    // Lungs dark, mediastinum bright after inversion, as in MONOCHROME2.
    const mean = (r0: number, r1: number, c0: number, c1: number) => {
      let sum = 0;
      for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) sum += m1[r * 224 + c];
      return sum / ((r1 - r0) * (c1 - c0));
    };
    expect(mean(80, 140, 50, 80)).toBeLessThan(0.45);
    expect(mean(80, 140, 104, 120)).toBeGreaterThan(0.7);
  });

  it('maps onto the normalisation range', () => {
    const img = decodeDicomImage(chestXrayVariant());
    const out = preprocessFrame(img, 0, { ...CXR, normalise: { min: -1, max: 1 } });
    expect(Math.min(...out)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...out)).toBeLessThanOrEqual(1);
    expect(out.some((v) => v < -0.5)).toBe(true);
  });
});
