import type { DicomImage } from './dicom-image';
import type { Preprocessing } from './model-manifest';
import { applyVoiLut, applyVoiWindow } from './voi-lut';

/** Maps modality values linearly so [lower, upper] becomes [0, 1], clamping outside. */
export function windowToUnit(values: Float32Array, lower: number, upper: number): Float32Array {
  const out = new Float32Array(values.length);
  const span = upper - lower;
  for (let i = 0; i < values.length; i++) {
    const v = (values[i] - lower) / span;
    out[i] = v < 0 ? 0 : v > 1 ? 1 : v;
  }
  return out;
}

function minMax(values: Float32Array): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

/** The linear [lower, upper] range of a fixed HU window, or of the min-max fallback of voi-lut. */
export function intensityWindow(frame: Float32Array, spec: Preprocessing['intensity']): [number, number] {
  switch (spec.kind) {
    case 'hu-window':
      return [spec.center - spec.width / 2, spec.center + spec.width / 2];
    case 'voi-lut': {
      const [lo, hi] = minMax(frame);
      // A flat frame would divide by zero; any positive span maps it to 0.
      return [lo, hi > lo ? hi : lo + 1];
    }
  }
}

/**
 * Modality values into 0..1 as the manifest asks: a fixed HU window, or the instance's VOI (its window
 * with its VOILUTFunction, or its VOI LUT Sequence, per `prefer`), falling back to the frame's range.
 */
export function intensityToUnit(image: DicomImage, frame: Float32Array, spec: Preprocessing['intensity']): Float32Array {
  if (spec.kind === 'voi-lut') {
    const window = image.windowCenter !== undefined && image.windowWidth !== undefined ? { center: image.windowCenter, width: image.windowWidth } : undefined;
    if (image.voiLut && (spec.prefer === 'lut' || !window)) return applyVoiLut(frame, image.voiLut);
    if (window) return applyVoiWindow(frame, window, image.voiLutFunction);
  }
  const [lower, upper] = intensityWindow(frame, spec);
  return windowToUnit(frame, lower, upper);
}

/**
 * Bilinear resize of a row-major image with half-pixel centres (the convention of OpenCV and ONNX
 * Resize); resizing to the same size returns the same values.
 */
export function resizeBilinear(src: Float32Array, rows: number, cols: number, outRows: number, outCols: number): Float32Array {
  if (rows === outRows && cols === outCols) return Float32Array.from(src);
  const out = new Float32Array(outRows * outCols);
  const sy = rows / outRows;
  const sx = cols / outCols;
  for (let y = 0; y < outRows; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), rows - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, rows - 1);
    const wy = fy - y0;
    for (let x = 0; x < outCols; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), cols - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, cols - 1);
      const wx = fx - x0;
      const top = src[y0 * cols + x0] * (1 - wx) + src[y0 * cols + x1] * wx;
      const bottom = src[y1 * cols + x0] * (1 - wx) + src[y1 * cols + x1] * wx;
      out[y * outCols + x] = top * (1 - wy) + bottom * wy;
    }
  }
  return out;
}

/** One frame into a model input plane: window (HU or VOI), MONOCHROME1 inversion, resize, normalise. */
export function preprocessFrame(image: DicomImage, frameIndex: number, spec: Preprocessing): Float32Array {
  const frame = image.frames[frameIndex];
  const unit = intensityToUnit(image, frame, spec.intensity);
  if (spec.invertMonochrome1 && image.photometric === 'MONOCHROME1') {
    for (let i = 0; i < unit.length; i++) unit[i] = 1 - unit[i];
  }
  const resized = resizeBilinear(unit, image.rows, image.columns, spec.resize.height, spec.resize.width);
  const { min, max } = spec.normalise;
  if (min !== 0 || max !== 1) {
    for (let i = 0; i < resized.length; i++) resized[i] = min + resized[i] * (max - min);
  }
  return resized;
}
