import type { Finding, StudyReceived } from '@triage/contracts';
import { extent } from './dataset-values';
import type { DicomImage } from './dicom-image';
import type { ModelManifest } from './model-manifest';
import { HISTOGRAM_BINS, PointKernel } from './wasm/point-kernel';

/** The kernel of the exposure scans: used synchronously, nothing of it kept between calls. */
let kernel: PointKernel | undefined;

/**
 * Image quality checks, reported as findings of kind `quality` beside a model's findings: only the
 * problems found are reported, each positive and never critical (they inform the reader; routing rules
 * on `kind: finding` ignore them). Rule-based, so probability 1 against threshold 1.
 */

/** Code system of the mesh's own quality codes (no RadElement, SNOMED CT or LOINC code fits them). */
export const QUALITY_CODE_SYSTEM = 'urn:triage-mesh:image-quality';

export type QualityIssue = 'exposure-nearly-blank' | 'exposure-saturated' | 'pixel-spacing-missing' | 'series-incomplete' | 'body-part-mismatch';

const DISPLAY: Record<QualityIssue, string> = {
  'exposure-nearly-blank': 'Image nearly blank (no usable contrast)',
  'exposure-saturated': 'Exposure saturated (large area clipped at the detector range)',
  'pixel-spacing-missing': 'Pixel spacing missing (no measurements possible)',
  'series-incomplete': 'Series incomplete (fewer instances than the model needs)',
  'body-part-mismatch': 'Body part examined does not match the order',
};

/** Modalities where exposure means an X-ray projection and clipping at the detector range is a fault. */
export const PROJECTION_MODALITIES: ReadonlySet<string> = new Set(['CR', 'DX', 'MG', 'RF', 'XA', 'PX', 'IO']);

export interface ExposureThresholds {
  /** Nearly blank: at least this share of pixels lies within `blankBand` of the median. */
  blankFraction: number;
  /** Half-width of the blank band, as a share of the stored value range. */
  blankBand: number;
  /** Saturated: at least this share of pixels sits at either end of the stored value range. */
  saturatedFraction: number;
  /** How close to an end counts as at it, as a share of the stored value range. */
  saturatedBand: number;
}

/** Calibrated on the phantoms (≤ 0.5 of pixels near the median, none clipped) and the real NIH film. */
export const DEFAULT_EXPOSURE_THRESHOLDS: ExposureThresholds = { blankFraction: 0.98, blankBand: 0.01, saturatedFraction: 0.2, saturatedBand: 0.005 };

/** Shares of one frame's pixels near its median and at the ends of the value range. */
export interface FrameExposure {
  nearMedian: number;
  atEnds: number;
}

/**
 * The median of a frame to within (hi - lo) / 4096, from a histogram: one pass, no copy. Finer than the
 * blank band (1 % of the range) by a factor of 40, which is all the exposure checks need of it.
 * Scanned by the WebAssembly kernel; histogramJs is its reference.
 */
export function approximateMedian(values: Float32Array, lo: number, hi: number): number {
  if (!(hi > lo)) return lo;
  const k = (kernel ??= new PointKernel());
  k.load(values);
  return medianOfHistogram(k.histogram(lo, HISTOGRAM_BINS / (hi - lo)), values.length, lo, hi);
}

/** The JavaScript reference of PointKernel.histogram (NaN values fall in no bin). */
export function histogramJs(values: Float32Array, lo: number, scale: number): Uint32Array {
  const bins = HISTOGRAM_BINS;
  const counts = new Uint32Array(bins);
  for (let i = 0; i < values.length; i++) {
    const b = Math.floor((values[i] - lo) * scale);
    counts[b < 0 ? 0 : b >= bins ? bins - 1 : b]++;
  }
  return counts;
}

/** The centre of the first bin where the running count reaches half of `n`. */
function medianOfHistogram(counts: Uint32Array, n: number, lo: number, hi: number): number {
  const scale = counts.length / (hi - lo);
  const half = n / 2;
  let seen = 0;
  for (let b = 0; b < counts.length; b++) {
    seen += counts[b];
    if (seen >= half) return lo + (b + 0.5) / scale;
  }
  return hi;
}

/** The JavaScript reference of PointKernel.exposureCounts. */
export function exposureCountsJs(frame: Float32Array, median: number, band: number, loEdge: number, hiEdge: number): { near: number; ends: number } {
  let near = 0;
  let ends = 0;
  for (let i = 0; i < frame.length; i++) {
    const v = frame[i];
    if (Math.abs(v - median) <= band) near++;
    if (v <= loEdge || v >= hiEdge) ends++;
  }
  return { near, ends };
}

/** Measures one frame against a value range (the stored range; the frame's own range when unknown). */
export function measureExposure(frame: Float32Array, range: readonly [number, number] | undefined, t: ExposureThresholds = DEFAULT_EXPOSURE_THRESHOLDS): FrameExposure {
  if (frame.length === 0) return { nearMedian: 1, atEnds: 0 };
  const [lo, hi] = range ?? extent(frame);
  const width = Math.max(hi - lo, Number.EPSILON);
  const k = (kernel ??= new PointKernel());
  // One copy into the kernel's memory serves both scans.
  k.load(frame);
  const median = hi > lo ? medianOfHistogram(k.histogram(lo, HISTOGRAM_BINS / (hi - lo)), frame.length, lo, hi) : lo;
  const band = t.blankBand * width;
  const edge = t.saturatedBand * width;
  const { near, ends } = k.exposureCounts(median, band, lo + edge, hi - edge);
  return { nearMedian: near / frame.length, atEnds: ends / frame.length };
}

/** A positive quality finding for one issue. */
export function qualityFinding(issue: QualityIssue): Finding {
  return {
    label: issue,
    kind: 'quality',
    code: { system: QUALITY_CODE_SYSTEM, code: issue, display: DISPLAY[issue] },
    probability: 1,
    threshold: 1,
    positive: true,
    critical: false,
  };
}

/**
 * Exposure findings of a series: nearly blank when every frame is; saturated when any frame of a
 * projection image with a known stored range is (a CT's air and bone are not exposure faults, so CT is checked for blank only).
 */
export function exposureFindings(images: readonly DicomImage[], t: ExposureThresholds = DEFAULT_EXPOSURE_THRESHOLDS): Finding[] {
  const frames = images.flatMap((image) => image.frames.map((frame) => ({ image, frame })));
  if (frames.length === 0) return [];
  // Each frame is measured at most once, and only as far as the answer needs: the blank check stops at
  // the first frame that is not blank, the saturation check looks at projection images only.
  const measured = new Map<Float32Array, FrameExposure>();
  const measure = (f: (typeof frames)[number]) => {
    let m = measured.get(f.frame);
    if (!m) measured.set(f.frame, (m = measureExposure(f.frame, f.image.valueRange, t)));
    return m;
  };
  const out: Finding[] = [];
  if (frames.every((f) => measure(f).nearMedian >= t.blankFraction)) out.push(qualityFinding('exposure-nearly-blank'));
  // Clipping needs the stored range: a frame always touches the ends of its own range.
  const clipped = (f: (typeof frames)[number]) =>
    PROJECTION_MODALITIES.has((f.image.modality ?? '').toUpperCase()) && f.image.valueRange !== undefined && measure(f).atEnds >= t.saturatedFraction;
  if (frames.some(clipped)) out.push(qualityFinding('exposure-saturated'));
  return out;
}

/** A finding when any image of the series has no pixel spacing. */
export function pixelSpacingFindings(images: readonly DicomImage[]): Finding[] {
  return images.some((i) => !i.pixelSpacing) ? [qualityFinding('pixel-spacing-missing')] : [];
}

/** Exposure and pixel spacing checks of the images a model ran on. */
export function assessImageQuality(images: readonly DicomImage[], t: ExposureThresholds = DEFAULT_EXPOSURE_THRESHOLDS): Finding[] {
  return [...exposureFindings(images, t), ...pixelSpacingFindings(images)];
}

/** A series the model would apply to but that has fewer instances than its manifest's minimum. */
export interface IncompleteSeries {
  seriesInstanceUid: string;
  instances: number;
  minimum: number;
}

/**
 * The largest series matching the model's modality, body part and SOP classes whose instance count is
 * below `minInstances`; undefined when there is none (or when a complete series exists, see selectSeries).
 */
export function findIncompleteSeries(manifest: ModelManifest, study: StudyReceived): IncompleteSeries | undefined {
  const a = manifest.applicability;
  const modalities = new Set(a.modalities.map((m) => m.toUpperCase()));
  const bodyParts = new Set(a.bodyParts.map((b) => b.toUpperCase()));
  const sopClasses = a.sopClassUids ? new Set(a.sopClassUids) : undefined;
  let best: IncompleteSeries | undefined;
  for (const s of study.series) {
    if (!modalities.has(s.modality.toUpperCase())) continue;
    const bodyPart = (s.bodyPart ?? study.study.bodyPart)?.toUpperCase();
    if (bodyParts.size > 0 && (!bodyPart || !bodyParts.has(bodyPart))) continue;
    const count = sopClasses ? s.instances.filter((i) => sopClasses.has(i.sopClassUid)).length : s.instances.length;
    if (count >= a.minInstances) return undefined;
    if (count > 0 && (!best || count > best.instances)) best = { seriesInstanceUid: s.seriesInstanceUid, instances: count, minimum: a.minInstances };
  }
  return best;
}
