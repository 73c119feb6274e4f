import { extent } from './dataset-values';
import type { DicomImage } from './dicom-image';
import { inputGeometry, type ModelManifest, type Preprocessing } from './model-manifest';
import { applyVoiLut, applyVoiWindow, voiLutFunction, voiWindowFunction } from './voi-lut';
import { PointKernel } from './wasm/point-kernel';

/** The kernel of calls that want an array of their own: used synchronously, its output copied out. */
let sharedKernel: PointKernel | undefined;

/** Maps modality values linearly so [lower, upper] becomes [0, 1], clamping outside. */
export function windowToUnit(values: Float32Array, lower: number, upper: number): Float32Array {
  const out = new Float32Array(values.length);
  const f = linearWindow(lower, upper);
  for (let i = 0; i < values.length; i++) out[i] = f(values[i]);
  return out;
}

function linearWindow(lower: number, upper: number): (x: number) => number {
  const span = upper - lower;
  return (x) => {
    const v = (x - lower) / span;
    return v < 0 ? 0 : v > 1 ? 1 : v;
  };
}

/** The linear [lower, upper] range of a fixed HU window, or of the min-max fallback of voi-lut. */
export function intensityWindow(frame: Float32Array, spec: Preprocessing['intensity']): [number, number] {
  switch (spec.kind) {
    case 'hu-window':
      return [spec.center - spec.width / 2, spec.center + spec.width / 2];
    case 'voi-lut': {
      const [lo, hi] = extent(frame);
      // A flat frame would divide by zero; any positive span maps it to 0.
      return [lo, hi > lo ? hi : lo + 1];
    }
  }
}

/** The instance's window, when it has a usable one. */
function instanceWindow(image: DicomImage) {
  return image.windowCenter !== undefined && image.windowWidth !== undefined ? { center: image.windowCenter, width: image.windowWidth } : undefined;
}

/**
 * The intensity step as a function of one modality value into 0..1: a fixed HU window, or the
 * instance's VOI (its window with its VOILUTFunction, or its VOI LUT Sequence, per `prefer`), falling
 * back to the frame's range.
 */
export function intensityFunction(image: DicomImage, frame: Float32Array, spec: Preprocessing['intensity']): (x: number) => number {
  if (spec.kind === 'voi-lut') {
    const window = instanceWindow(image);
    if (image.voiLut && (spec.prefer === 'lut' || !window)) return voiLutFunction(image.voiLut);
    if (window) return voiWindowFunction(window, image.voiLutFunction);
  }
  const [lower, upper] = intensityWindow(frame, spec);
  return linearWindow(lower, upper);
}

/** The intensity step applied to a whole frame (see intensityFunction). */
export function intensityToUnit(image: DicomImage, frame: Float32Array, spec: Preprocessing['intensity']): Float32Array {
  if (spec.kind === 'voi-lut') {
    const window = instanceWindow(image);
    if (image.voiLut && (spec.prefer === 'lut' || !window)) return applyVoiLut(frame, image.voiLut);
    if (window) return applyVoiWindow(frame, window, image.voiLutFunction);
  }
  const [lower, upper] = intensityWindow(frame, spec);
  return windowToUnit(frame, lower, upper);
}

/**
 * Bilinear resize of a row-major image with half-pixel centres (the convention of OpenCV and ONNX
 * Resize); resizing to the same size returns the same values. `map` is applied to each source value
 * before it is interpolated, which is the same as mapping the whole image first, without the copy.
 */
export function resizeBilinear(
  src: Float32Array,
  rows: number,
  cols: number,
  outRows: number,
  outCols: number,
  map: (x: number) => number = (x) => x,
): Float32Array {
  const out = new Float32Array(outRows * outCols);
  if (rows === outRows && cols === outCols) {
    for (let i = 0; i < out.length; i++) out[i] = map(src[i]);
    return out;
  }
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
      const top = map(src[y0 * cols + x0]) * (1 - wx) + map(src[y0 * cols + x1]) * wx;
      const bottom = map(src[y1 * cols + x0]) * (1 - wx) + map(src[y1 * cols + x1]) * wx;
      out[y * outCols + x] = top * (1 - wy) + bottom * wy;
    }
  }
  return out;
}

/** The centre `height` x `width` of a row-major plane (odd margins: the extra row/column is cut at the end). */
export function centreCrop(src: Float32Array, rows: number, cols: number, height: number, width: number): Float32Array {
  if (rows === height && cols === width) return src;
  const top = (rows - height) >> 1;
  const left = (cols - width) >> 1;
  const out = new Float32Array(height * width);
  for (let y = 0; y < height; y++) out.set(src.subarray((top + y) * cols + left, (top + y) * cols + left + width), y * width);
  return out;
}

/**
 * The model input tensor's data from a preprocessed plane: as is for one channel in NCHW; otherwise the
 * plane is replicated into each channel, standardised per channel when the manifest says so, and laid
 * out as the manifest's layout (NCHW or NHWC).
 */
export function modelInput(plane: Float32Array, manifest: Pick<ModelManifest, 'input' | 'preprocessing'>): Float32Array {
  const { channels: c } = inputGeometry(manifest);
  const std = manifest.preprocessing.channels;
  if (c === 1 && !std) return plane;
  const n = plane.length;
  const out = new Float32Array(n * c);
  const nhwc = manifest.input.layout === 'NHWC';
  for (let k = 0; k < c; k++) {
    const mean = std ? std.mean[k] : 0;
    const scale = std ? 1 / std.std[k] : 1;
    for (let i = 0; i < n; i++) out[nhwc ? i * c + k : k * n + i] = (plane[i] - mean) * scale;
  }
  return out;
}

/**
 * The ordered, preprocessed slice planes of a series as one volume of `depth` planes (NCDHW data, one
 * channel): linear interpolation between neighbouring slices in slice order, with half-slice centres
 * like the in-plane resize. Slice order comes from ImagePositionPatient (orderSlices); the spacing is
 * taken as even, so a series with gaps should be caught by the incomplete-series check first.
 */
export function volumeInput(planes: readonly Float32Array[], depth: number): Float32Array {
  if (planes.length === 0) throw new Error('no slices for the volume');
  const n = planes[0].length;
  const out = new Float32Array(n * depth);
  const scale = planes.length / depth;
  for (let z = 0; z < depth; z++) {
    const f = Math.min(Math.max((z + 0.5) * scale - 0.5, 0), planes.length - 1);
    const z0 = Math.floor(f);
    const z1 = Math.min(z0 + 1, planes.length - 1);
    const w = f - z0;
    const a = planes[z0];
    const b = planes[z1];
    for (let i = 0; i < n; i++) out[z * n + i] = a[i] * (1 - w) + b[i] * w;
  }
  return out;
}

/**
 * One frame into a model input plane: window (HU or VOI), MONOCHROME1 inversion, resize, normalise, crop.
 * The point operations (window, inversion, normalisation) run on the samples the resize reads, so a
 * 1024x1024 radiograph costs a pass for its range (min-max fallback only) and 4 lookups per output pixel.
 *
 * The common CT case (a linear window, no resize) runs as one WebAssembly SIMD pass (PointKernel),
 * bit-identical to the JavaScript loop (windowPlaneJs). With `scratch`, that case returns a view onto
 * the kernel's memory, valid until the next call with the same kernel (the caller must be done with it
 * by then: the inference stage hands it to one session.run and awaits it); without, a plane of its own.
 */
export function preprocessFrame(image: DicomImage, frameIndex: number, spec: Preprocessing, scratch?: PointKernel): Float32Array {
  const frame = image.frames[frameIndex];
  const invert = spec.invertMonochrome1 && image.photometric === 'MONOCHROME1';
  const { min, max } = spec.normalise;
  const span = max - min;
  // Inversion and normalisation are affine: out = a + b * unit, exact per sample before interpolating.
  const a = invert ? max : min;
  const b = invert ? -span : span;
  const { resize, crop } = spec;
  let resized: Float32Array;
  const linear = linearRange(image, frame, spec.intensity);
  if (linear && image.rows === resize.height && image.columns === resize.width) {
    // The common CT case (fixed HU window, no resize): one SIMD pass.
    const [lower, upper] = linear;
    const inv = 1 / (upper - lower);
    if (scratch && !crop) return scratch.window(frame, lower, inv, a, b);
    resized = (sharedKernel ??= new PointKernel()).window(frame, lower, inv, a, b).slice();
  } else {
    const unit = linear ? linearWindow(linear[0], linear[1]) : intensityFunction(image, frame, spec.intensity);
    const map = a === 0 && b === 1 ? unit : (x: number) => a + b * unit(x);
    resized = resizeBilinear(frame, image.rows, image.columns, resize.height, resize.width, map);
  }
  return crop ? centreCrop(resized, resize.height, resize.width, crop.height, crop.width) : resized;
}

/**
 * The JavaScript reference of PointKernel.window: a + b * clamp01((x - lower) * inv), in doubles,
 * rounded once to float32. Kept as the definition the kernel is tested against.
 */
export function windowPlaneJs(frame: Float32Array, lower: number, inv: number, a: number, b: number): Float32Array {
  const out = new Float32Array(frame.length);
  for (let i = 0; i < frame.length; i++) {
    const u = (frame[i] - lower) * inv;
    out[i] = a + b * (u < 0 ? 0 : u > 1 ? 1 : u);
  }
  return out;
}

/** The [lower, upper] of the intensity step when it is a plain linear window (fixed HU, or the min-max fallback). */
function linearRange(image: DicomImage, frame: Float32Array, spec: Preprocessing['intensity']): [number, number] | undefined {
  if (spec.kind === 'voi-lut' && (image.voiLut || instanceWindow(image))) return undefined;
  return intensityWindow(frame, spec);
}
