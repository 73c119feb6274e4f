import type { StudyReceived } from '@triage/contracts';
import { generateChestXrayStudy, generateHeadCtStudy } from '@triage/samples';
import { describeWithSharedData, sharedDataDir } from '@triage/testing';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeDicomImage, type DicomImage } from './dicom-image';
import { assessImageQuality, exposureFindings, findIncompleteSeries, approximateMedian, measureExposure, pixelSpacingFindings, QUALITY_CODE_SYSTEM } from './image-quality';
import { parseModelManifest } from './model-manifest';
import { chestXrayVariant } from './phantoms';

const labels = (fs: { label: string }[]) => fs.map((f) => f.label);

/** A crafted single-frame image (12-bit unsigned unless told) with the given pixel function. */
function crafted(pixel: (i: number) => number, opts: Partial<DicomImage> = {}): DicomImage {
  const size = 64;
  const frame = new Float32Array(size * size);
  for (let i = 0; i < frame.length; i++) frame[i] = pixel(i);
  return { transferSyntaxUid: '1.2.840.10008.1.2.1', modality: 'DX', rows: size, columns: size, photometric: 'MONOCHROME2', voiLutFunction: 'LINEAR', frames: [frame], pixelSpacing: [0.2, 0.2], valueRange: [0, 4095], ...opts };
}
/** Deterministic noise in [0, 1). */
const noise = (i: number) => ((i * 2654435761) % 1000) / 1000;

describe('image quality on the phantoms', () => {
  it('finds nothing wrong with the chest X-ray phantom, its MONOCHROME1 form or the head CT phantom', () => {
    const cxr = decodeDicomImage(generateChestXrayStudy().files[0]);
    expect(cxr.pixelSpacing).toEqual([expect.any(Number), expect.any(Number)]);
    expect(cxr.valueRange).toEqual([0, 4095]);
    expect(assessImageQuality([cxr])).toEqual([]);
    expect(assessImageQuality([decodeDicomImage(chestXrayVariant({ photometric: 'MONOCHROME1', opacity: true }))])).toEqual([]);
    const ct = generateHeadCtStudy({ haemorrhage: true }).files.map((f) => decodeDicomImage(f));
    expect(assessImageQuality(ct)).toEqual([]);
  });

  it('reports a head CT slice with its pixel spacing removed', () => {
    const ct = generateHeadCtStudy({ haemorrhage: false }).files.map((f) => decodeDicomImage(f));
    const found = assessImageQuality([...ct.slice(1), { ...ct[0], pixelSpacing: undefined }]);
    expect(found).toEqual([
      { label: 'pixel-spacing-missing', kind: 'quality', code: { system: QUALITY_CODE_SYSTEM, code: 'pixel-spacing-missing', display: expect.stringMatching(/spacing/) }, probability: 1, threshold: 1, positive: true, critical: false },
    ]);
  });
});

describeWithSharedData('image quality on the real NIH chest radiograph', () => {
  it('finds its exposure fine (it has no pixel spacing tags: reported)', () => {
    const nih = decodeDicomImage(readFileSync(join(sharedDataDir(), 'dicom', 'cxr_nih_1024.dcm')));
    expect(exposureFindings([nih])).toEqual([]);
    expect(labels(pixelSpacingFindings([nih]))).toEqual(nih.pixelSpacing ? [] : ['pixel-spacing-missing']);
  });
});

describe('image quality on crafted images', () => {
  it('reports a nearly blank image (uniform with faint noise) but not a low-contrast one with anatomy', () => {
    expect(labels(exposureFindings([crafted((i) => 2000 + noise(i) * 20)]))).toEqual(['exposure-nearly-blank']);
    expect(labels(exposureFindings([crafted((i) => (i % 64 < 32 ? 1800 : 2200) + noise(i) * 20)]))).toEqual([]);
  });

  it('reports a nearly blank CT series only when every slice is blank', () => {
    const air = crafted((i) => -1000 + noise(i) * 10, { modality: 'CT', valueRange: [-1024, 3071] });
    const head = crafted((i) => (i % 64 < 20 ? -1000 : 40) + noise(i) * 10, { modality: 'CT', valueRange: [-1024, 3071] });
    expect(labels(exposureFindings([air, air]))).toEqual(['exposure-nearly-blank']);
    expect(labels(exposureFindings([air, head]))).toEqual([]);
  });

  it('reports a saturated radiograph (a third clipped at the detector maximum), not a CT with as much air', () => {
    const burnt = (modality: string) => crafted((i) => (i < (64 * 64) / 3 ? 4095 : 1000 + noise(i) * 2000), { modality });
    expect(measureExposure(burnt('DX').frames[0], [0, 4095]).atEnds).toBeCloseTo(1 / 3, 2);
    expect(labels(exposureFindings([burnt('DX')]))).toEqual(['exposure-saturated']);
    expect(labels(exposureFindings([burnt('CT')]))).toEqual([]);
    // A few clipped pixels (collimator edges, markers) are normal.
    expect(labels(exposureFindings([crafted((i) => (i < 200 ? 0 : 1000 + noise(i) * 2000))]))).toEqual([]);
  });

  it('reports an all-white image as both blank and saturated', () => {
    expect(labels(exposureFindings([crafted(() => 4095)]))).toEqual(['exposure-nearly-blank', 'exposure-saturated']);
  });

  it('uses the frame range when the stored range is unknown', () => {
    expect(labels(exposureFindings([crafted((i) => 5 + noise(i) * 0.01, { valueRange: undefined })]))).toEqual([]);
    expect(labels(exposureFindings([crafted(() => 7, { valueRange: undefined })]))).toEqual(['exposure-nearly-blank']);
  });
});

describe('findIncompleteSeries', () => {
  const manifest = parseModelManifest({
    ...(JSON.parse(readFileSync(join(__dirname, '../../../../../models/manifests/head-ct-hyperdensity.json'), 'utf8')) as object),
  });
  const withMin = { ...manifest, applicability: { ...manifest.applicability, minInstances: 10 } };
  const study = (counts: number[], modality = 'CT'): StudyReceived =>
    ({
      study: { studyInstanceUid: '1.2.3', bodyPart: 'HEAD' },
      series: counts.map((n, s) => ({
        seriesInstanceUid: `1.2.3.${s}`,
        modality,
        bodyPart: 'HEAD',
        instances: Array.from({ length: n }, (_, i) => ({ sopInstanceUid: `1.2.3.${s}.${i}`, sopClassUid: '1.2.840.10008.5.1.4.1.1.2' })),
      })),
    }) as unknown as StudyReceived;

  it('names the largest matching series below the minimum', () => {
    expect(findIncompleteSeries(withMin, study([3, 7]))).toEqual({ seriesInstanceUid: '1.2.3.1', instances: 7, minimum: 10 });
  });

  it('is undefined when a complete series exists or no series matches', () => {
    expect(findIncompleteSeries(withMin, study([3, 12]))).toBeUndefined();
    expect(findIncompleteSeries(withMin, study([3], 'MR'))).toBeUndefined();
  });
});

describe('approximateMedian', () => {
  it('is within 1/4096 of the range of the exact median on random, constant and skewed data', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 1000 - 500;
    for (const data of [Float32Array.from({ length: 1001 }, rnd), new Float32Array(64).fill(3), Float32Array.from({ length: 500 }, (_, i) => (i < 480 ? 0 : i))]) {
      const sorted = Float32Array.from(data).sort();
      const [lo, hi] = [sorted[0], sorted[sorted.length - 1]];
      const exact = sorted[sorted.length >> 1];
      expect(Math.abs(approximateMedian(data, lo, hi) - exact)).toBeLessThanOrEqual(Math.max(hi - lo, 1) / 4096);
    }
  });
});
