import { generateHeadCtStudy, mulberry32 } from '@triage/samples';
import { decodeDicomImage } from '../dicom-image';
import { exposureCountsJs, histogramJs, measureExposure } from '../image-quality';
import type { Preprocessing } from '../model-manifest';
import { preprocessFrame, windowPlaneJs } from '../preprocess';
import { HISTOGRAM_BINS, PointKernel, pointKernelModule } from './point-kernel';
import { encodeModule, sleb, uleb } from './wasm-encoder';

const SPECIALS = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, -0, 3.4e38, -3.4e38, 1e-45, -1e-45, 50, 0, 100];

/** Random HU-like values with the special values spread through, `n` long. */
function frame(n: number, seed: number): Float32Array {
  const rand = mulberry32(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rand() < 0.05 ? SPECIALS[Math.floor(rand() * SPECIALS.length)] : (rand() * 4000 - 1500) * (rand() < 0.5 ? 1 : 0.01);
  return out;
}

/** Indices where two float arrays differ bit for bit (any NaN equals any NaN: payloads are not compared). */
function differences(a: Float32Array, b: Float32Array): number[] {
  expect(a.length).toBe(b.length);
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  const out: number[] = [];
  for (let i = 0; i < a.length; i++) if (ua[i] !== ub[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) out.push(i);
  return out;
}

const LENGTHS = [0, 1, 2, 3, 4, 5, 6, 7, 9, 13, 1023, 65536, 65537, 262147];

describe('wasm encoder', () => {
  it('encodes LEB128 as the spec examples do', () => {
    expect(uleb(0)).toEqual([0]);
    expect(uleb(127)).toEqual([0x7f]);
    expect(uleb(128)).toEqual([0x80, 0x01]);
    expect(uleb(624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(sleb(-1)).toEqual([0x7f]);
    expect(sleb(63)).toEqual([0x3f]);
    expect(sleb(64)).toEqual([0xc0, 0x00]);
    expect(sleb(-123456)).toEqual([0xc0, 0xbb, 0x78]);
    expect(() => uleb(-1)).toThrow();
  });

  it('emits a module the engine validates, exporting its memory and kernels', () => {
    expect(WebAssembly.validate(encodeModule([], 1))).toBe(true);
    const exports = WebAssembly.Module.exports(pointKernelModule()).map((e) => `${e.kind}:${e.name}`);
    expect(exports).toEqual(['memory:memory', 'function:window', 'function:window01', 'function:histogram', 'function:exposureCounts']);
  });
});

describe('PointKernel.window', () => {
  const cases: Array<[string, number, number, number, number]> = [
    // name, lower, upper, a, b (a + b * unit: normalise [min, max], inverted for MONOCHROME1)
    ['brain window to 0..1 (window01)', 0, 100, 0, 1],
    ['shifted by a with b = 1 (window01)', 0, 100, 0.5, 1],
    ['inverted (MONOCHROME1)', 0, 100, 1, -1],
    ['normalised to -1..1', -160, 240, -1, 2],
    ['odd window', -1000.3, 2999.7, 0.25, 0.5],
    ['degenerate span (inv = Infinity)', 40, 40, 0, 1],
  ];
  it.each(cases)('is bit-identical to the JavaScript loop: %s', (_name, lower, upper, a, b) => {
    const kernel = new PointKernel();
    const inv = 1 / (upper - lower);
    LENGTHS.forEach((n, k) => {
      const src = frame(n, 1000 + k);
      const wasm = kernel.window(src, lower, inv, a, b).slice();
      expect(differences(wasm, windowPlaneJs(src, lower, inv, a, b))).toEqual([]);
    });
  });

  it('keeps NaN, clamps ±Infinity and maps the window edges exactly', () => {
    const out = new PointKernel().window(Float32Array.from([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, 50, 100, 25]), 0, 1 / 100, 0, 1);
    expect(Number.isNaN(out[0])).toBe(true);
    expect(Array.from(out.subarray(1))).toEqual([1, 0, 0, 0.5, 1, 0.25]);
  });

  it('grows its memory for a larger frame and leaves the input untouched', () => {
    const kernel = new PointKernel();
    const small = frame(10, 1);
    expect(differences(kernel.window(small, 0, 0.01, 0, 1).slice(), windowPlaneJs(small, 0, 0.01, 0, 1))).toEqual([]);
    const big = frame(1 << 20, 2);
    const copy = big.slice();
    const view = kernel.window(big, 0, 0.01, 0, 1);
    expect(view.length).toBe(1 << 20);
    expect(differences(view.slice(), windowPlaneJs(big, 0, 0.01, 0, 1))).toEqual([]);
    expect(differences(big, copy)).toEqual([]);
  });
});

describe('PointKernel exposure scans', () => {
  it('counts the same histogram as the JavaScript loop (NaN in no bin, out-of-range values in the end bins)', () => {
    const kernel = new PointKernel();
    LENGTHS.forEach((n, k) => {
      const src = frame(n, 2000 + k);
      for (const [lo, hi] of [[-1024, 3071], [0, 100], [-1e-3, 1e-3]]) {
        const scale = HISTOGRAM_BINS / (hi - lo);
        kernel.load(src);
        expect(Array.from(kernel.histogram(lo, scale))).toEqual(Array.from(histogramJs(src, lo, scale)));
      }
    });
  });

  it('counts the same near-median and at-the-ends values as the JavaScript loop', () => {
    const kernel = new PointKernel();
    LENGTHS.forEach((n, k) => {
      const src = frame(n, 3000 + k);
      kernel.load(src);
      for (const [median, band, loEdge, hiEdge] of [[0, 40, -1000, 3000], [50, 0, 0, 100], [Number.NaN, 1, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY]]) {
        expect(kernel.exposureCounts(median, band, loEdge, hiEdge)).toEqual(exposureCountsJs(src, median, band, loEdge, hiEdge));
      }
    });
  });
});

describe('preprocessFrame on the kernel', () => {
  const HEAD: Preprocessing = {
    intensity: { kind: 'hu-window', center: 50, width: 100 },
    resize: { height: 256, width: 256, method: 'bilinear' },
    normalise: { min: 0, max: 1 },
    invertMonochrome1: true,
  };
  const images = generateHeadCtStudy({ haemorrhage: true, slices: 6 }).files.map((f) => decodeDicomImage(f));

  it('gives the JavaScript loop`s planes, as a view with a scratch kernel and as an array of its own without', () => {
    const kernel = new PointKernel();
    for (const image of images) {
      const js = windowPlaneJs(image.frames[0], 0, 1 / 100, 0, 1);
      const owned = preprocessFrame(image, 0, HEAD);
      const view = preprocessFrame(image, 0, HEAD, kernel);
      expect(view.buffer).not.toBe(owned.buffer);
      expect(differences(owned, js)).toEqual([]);
      expect(differences(view, js)).toEqual([]);
    }
  });

  it('measures exposure as the JavaScript scans do', () => {
    for (const image of images) {
      const f = image.frames[0];
      const [lo, hi] = image.valueRange ?? [-1024, 3071];
      const counts = histogramJs(f, lo, HISTOGRAM_BINS / (hi - lo));
      let seen = 0;
      let bin = 0;
      while ((seen += counts[bin]) < f.length / 2) bin++;
      const median = lo + (bin + 0.5) / (HISTOGRAM_BINS / (hi - lo));
      const width = hi - lo;
      const { near, ends } = exposureCountsJs(f, median, 0.01 * width, lo + 0.005 * width, hi - 0.005 * width);
      expect(measureExposure(f, [lo, hi])).toEqual({ nearMedian: near / f.length, atEnds: ends / f.length });
    }
  });
});
