import { BLOCK_VOID, encodeModule, ins, OP, SAT, SIMD, VALTYPE, type WasmFunction } from './wasm-encoder';

/**
 * Point passes over one frame in WebAssembly SIMD, each bit-identical to its JavaScript reference.
 *
 * `window`: the fused point pass of preprocessing: out = a + b * clamp01((x - lower) * inv),
 * i.e. a linear window into 0..1 followed by the affine normalisation (and MONOCHROME1 inversion) of
 * preprocessFrame. The arithmetic is done in f64x2 lanes on values promoted from f32, with the same
 * operations in the same order as the JavaScript loop (which computes in doubles), and the clamp uses
 * pmax/pmin, whose definitions are the loop's ternaries (`u < 0 ? 0 : u`, `u > 1 ? 1 : u`): so the
 * result is bit-identical to the JavaScript path for every input, NaN and ±Infinity included (NaN stays
 * NaN; its payload bits are not compared).
 *
 * `histogram` and `exposureCounts`: the two scans of image-quality's exposure check (the 4096-bin
 * histogram of approximateMedian, then the shares near the median and at the ends of the range), with
 * the same double arithmetic and comparisons as the JavaScript loops (NaN bins skipped, as a NaN index
 * into a typed array is).
 */

const { i32, f64, v128 } = VALTYPE;

/** Bins of the exposure histogram (approximateMedian). */
export const HISTOGRAM_BINS = 4096;
/** Parameters and locals of `window`, by index. */
const W = { SRC: 0, DST: 1, N: 2, LOWER: 3, INV: 4, A: 5, B: 6, I: 7, END4: 8, END: 9, V_LOWER: 10, V_INV: 11, V_A: 12, V_B: 13, V_ZERO: 14, V_ONE: 15 };

/**
 * The point operation on the f64x2 on the stack, leaving its f32 demotion (low two lanes) on the stack.
 * `scaled` false drops the multiplication by b for b = 1 (normalise to 0..1, not inverted): multiplying
 * by 1 is exact for every double, NaN included, so the result is the same; the addition of a (+0 then)
 * stays, as it turns a -0 into +0 like the JavaScript loop's `a + b * u`.
 */
const transform = (scaled: boolean): number[][] => [
  ins.localGet(W.V_LOWER), ins.simd(SIMD.f64x2Sub),
  ins.localGet(W.V_INV), ins.simd(SIMD.f64x2Mul),
  ins.localGet(W.V_ZERO), ins.simd(SIMD.f64x2Pmax), // u < 0 ? 0 : u
  ins.localGet(W.V_ONE), ins.simd(SIMD.f64x2Pmin), // u > 1 ? 1 : u
  ...(scaled ? [ins.localGet(W.V_B), ins.simd(SIMD.f64x2Mul)] : []),
  ins.localGet(W.V_A), ins.simd(SIMD.f64x2Add),
  ins.simd(SIMD.f32x4DemoteF64x2Zero),
];

/** dst[i..] = f(src[i..]) for two floats (8 bytes) at byte offset `offset` past i. */
const pair = (offset: number, scaled: boolean): number[][] => [
  ins.localGet(W.DST), ins.localGet(W.I), ins.op(OP.i32Add),
  ins.localGet(W.SRC), ins.localGet(W.I), ins.op(OP.i32Add),
  ins.simdMem(SIMD.v128Load64Zero, 2, offset),
  ins.simd(SIMD.f64x2PromoteLowF32x4),
  ...transform(scaled),
  ins.simdLane(SIMD.v128Store64Lane, 2, 0, offset),
];

/** dst[i] = f(src[i]) for one float. */
const single = (scaled: boolean): number[][] => [
  ins.localGet(W.DST), ins.localGet(W.I), ins.op(OP.i32Add),
  ins.localGet(W.SRC), ins.localGet(W.I), ins.op(OP.i32Add),
  ins.simdMem(SIMD.v128Load32Zero, 2),
  ins.simd(SIMD.f64x2PromoteLowF32x4),
  ...transform(scaled),
  ins.simdLane(SIMD.v128Store32Lane, 2, 0),
];

/** `loop { if (i >= end) break; ...step; i += stride }` */
const countedLoop = (end: number, stride: number, step: number[][], i = W.I): number[][] => [
  [OP.block, BLOCK_VOID], [OP.loop, BLOCK_VOID],
  ins.localGet(i), ins.localGet(end), ins.op(OP.i32GeU), [OP.br_if, 1],
  ...step,
  ins.localGet(i), ins.i32Const(stride), ins.op(OP.i32Add), ins.localSet(i),
  [OP.br, 0],
  [OP.end], [OP.end],
];

const splat = (from: number[], to: number): number[][] => [from, ins.simd(SIMD.f64x2Splat), ins.localSet(to)];

/** local[to] = (local[n] rounded down to a multiple of `multiple`, a power of two) * 4: a loop's end in bytes. */
const byteEnd = (n: number, multiple: number, to: number): number[][] => [
  ins.localGet(n), ins.i32Const(-multiple), ins.op(OP.i32And), ins.i32Const(2), ins.op(OP.i32Shl), ins.localSet(to),
];

/** window(src, dst, n, lower, inv, a, b); window01 is the same for b = 1 (see transform). */
const windowFunction = (name: string, scaled: boolean): WasmFunction => ({
  name,
  params: [i32, i32, i32, f64, f64, f64, f64],
  results: [],
  locals: [i32, i32, i32, v128, v128, v128, v128, v128, v128],
  body: [
    ...byteEnd(W.N, 4, W.END4),
    ...byteEnd(W.N, 1, W.END),
    ...splat(ins.localGet(W.LOWER), W.V_LOWER),
    ...splat(ins.localGet(W.INV), W.V_INV),
    ...splat(ins.localGet(W.A), W.V_A),
    ...splat(ins.localGet(W.B), W.V_B),
    ...splat(ins.f64Const(0), W.V_ZERO),
    ...splat(ins.f64Const(1), W.V_ONE),
    ...countedLoop(W.END4, 16, [...pair(0, scaled), ...pair(8, scaled)]),
    ...countedLoop(W.END, 4, single(scaled)),
  ],
});
const WINDOW = windowFunction('window', true);
const WINDOW01 = windowFunction('window01', false);

/**
 * histogram(src, n, lo, scale, counts): counts[clamp(floor((x - lo) * scale))] += 1 for each x, NaN
 * skipped. Branch-free: the bin is the saturating truncation of t = (x - lo) * scale clamped to the bins
 * (equal to the clamped floor: they differ only for t in (-1, 0), which both put in bin 0), and the
 * increment is (t === t), 0 for NaN.
 */
const H = { SRC: 0, N: 1, LO: 2, SCALE: 3, COUNTS: 4, I: 5, END: 6, T: 7, BIN: 8, ADDR: 9 };
const HISTOGRAM: WasmFunction = {
  name: 'histogram',
  params: [i32, i32, f64, f64, i32],
  results: [],
  locals: [i32, i32, f64, i32, i32],
  body: [
    ...byteEnd(H.N, 1, H.END),
    ...countedLoop(H.END, 4, [
      // t = (x - lo) * scale; bin = trunc_sat(t)
      ins.localGet(H.SRC), ins.localGet(H.I), ins.op(OP.i32Add), ins.mem(OP.f32Load, 2),
      ins.op(OP.f64PromoteF32), ins.localGet(H.LO), ins.op(OP.f64Sub), ins.localGet(H.SCALE), ins.op(OP.f64Mul),
      ins.localTee(H.T), ins.sat(SAT.i32TruncSatF64S), ins.localSet(H.BIN),
      // bin = bin < 0 ? 0 : bin; bin = bin > bins - 1 ? bins - 1 : bin
      ins.i32Const(0), ins.localGet(H.BIN), ins.localGet(H.BIN), ins.i32Const(0), ins.op(OP.i32LtS), ins.op(OP.select), ins.localSet(H.BIN),
      ins.i32Const(HISTOGRAM_BINS - 1), ins.localGet(H.BIN), ins.localGet(H.BIN), ins.i32Const(HISTOGRAM_BINS - 1), ins.op(OP.i32GtS), ins.op(OP.select), ins.localSet(H.BIN),
      // counts[bin] += (t === t)
      ins.localGet(H.COUNTS), ins.localGet(H.BIN), ins.i32Const(2), ins.op(OP.i32Shl), ins.op(OP.i32Add), ins.localTee(H.ADDR),
      ins.localGet(H.ADDR), ins.mem(OP.i32Load, 2), ins.localGet(H.T), ins.localGet(H.T), ins.op(OP.f64Eq), ins.op(OP.i32Add), ins.mem(OP.i32Store, 2),
    ], H.I),
  ],
};

/**
 * exposureCounts(src, n, median, band, loEdge, hiEdge) -> (near, ends): how many x have
 * |x - median| <= band, and how many have x <= loEdge or x >= hiEdge. Pairs in f64x2 lanes (a compare
 * mask is -1 per lane, subtracted from an i64x2 counter), the odd last value in scalar code.
 */
const E = { SRC: 0, N: 1, MEDIAN: 2, BAND: 3, LO_EDGE: 4, HI_EDGE: 5, I: 6, END2: 7, END: 8, V_MED: 9, V_BAND: 10, V_LO: 11, V_HI: 12, NEAR: 13, ENDS: 14, V_X: 15, X: 16, NEAR1: 17, ENDS1: 18 };
/** The sum of an i64x2 counter's two lanes, as i32. */
const lanesSum = (v: number): number[][] => [
  ins.localGet(v), ins.simdLaneOp(SIMD.i64x2ExtractLane, 0), ins.localGet(v), ins.simdLaneOp(SIMD.i64x2ExtractLane, 1), ins.op(OP.i64Add), ins.op(OP.i32WrapI64),
];
const EXPOSURE_COUNTS: WasmFunction = {
  name: 'exposureCounts',
  params: [i32, i32, f64, f64, f64, f64],
  results: [i32, i32],
  locals: [i32, i32, i32, v128, v128, v128, v128, v128, v128, v128, f64, i32, i32],
  body: [
    ...byteEnd(E.N, 2, E.END2),
    ...byteEnd(E.N, 1, E.END),
    ...splat(ins.localGet(E.MEDIAN), E.V_MED),
    ...splat(ins.localGet(E.BAND), E.V_BAND),
    ...splat(ins.localGet(E.LO_EDGE), E.V_LO),
    ...splat(ins.localGet(E.HI_EDGE), E.V_HI),
    ...countedLoop(E.END2, 8, [
      ins.localGet(E.SRC), ins.localGet(E.I), ins.op(OP.i32Add), ins.simdMem(SIMD.v128Load64Zero, 2),
      ins.simd(SIMD.f64x2PromoteLowF32x4), ins.localSet(E.V_X),
      // near -= (|x - median| <= band)   (a true lane is -1)
      ins.localGet(E.NEAR), ins.localGet(E.V_X), ins.localGet(E.V_MED), ins.simd(SIMD.f64x2Sub), ins.simd(SIMD.f64x2Abs),
      ins.localGet(E.V_BAND), ins.simd(SIMD.f64x2Le), ins.simd(SIMD.i64x2Sub), ins.localSet(E.NEAR),
      // ends -= (x <= loEdge | x >= hiEdge)
      ins.localGet(E.ENDS), ins.localGet(E.V_X), ins.localGet(E.V_LO), ins.simd(SIMD.f64x2Le),
      ins.localGet(E.V_X), ins.localGet(E.V_HI), ins.simd(SIMD.f64x2Ge), ins.simd(SIMD.v128Or), ins.simd(SIMD.i64x2Sub), ins.localSet(E.ENDS),
    ], E.I),
    ...countedLoop(E.END, 4, [
      ins.localGet(E.SRC), ins.localGet(E.I), ins.op(OP.i32Add), ins.mem(OP.f32Load, 2), ins.op(OP.f64PromoteF32), ins.localSet(E.X),
      ins.localGet(E.NEAR1), ins.localGet(E.X), ins.localGet(E.MEDIAN), ins.op(OP.f64Sub), ins.op(OP.f64Abs), ins.localGet(E.BAND), ins.op(OP.f64Le), ins.op(OP.i32Add), ins.localSet(E.NEAR1),
      ins.localGet(E.ENDS1), ins.localGet(E.X), ins.localGet(E.LO_EDGE), ins.op(OP.f64Le), ins.localGet(E.X), ins.localGet(E.HI_EDGE), ins.op(OP.f64Ge), ins.op(OP.i32Or), ins.op(OP.i32Add), ins.localSet(E.ENDS1),
    ], E.I),
    ...lanesSum(E.NEAR), ins.localGet(E.NEAR1), ins.op(OP.i32Add),
    ...lanesSum(E.ENDS), ins.localGet(E.ENDS1), ins.op(OP.i32Add),
  ],
};

const PAGE = 65536;
/** Memory layout: the histogram's counts, then the input region, then the output region (capacity floats each). */
const COUNTS = 0;
const SRC = HISTOGRAM_BINS * 4;
let compiled: WebAssembly.Module | undefined;

/** The compiled module (compiled once per process; instances are cheap). */
export function pointKernelModule(): WebAssembly.Module {
  return (compiled ??= new WebAssembly.Module(encodeModule([WINDOW, WINDOW01, HISTOGRAM, EXPOSURE_COUNTS], 1)));
}

interface PointExports {
  memory: WebAssembly.Memory;
  window(src: number, dst: number, n: number, lower: number, inv: number, a: number, b: number): void;
  window01(src: number, dst: number, n: number, lower: number, inv: number, a: number, b: number): void;
  histogram(src: number, n: number, lo: number, scale: number, counts: number): void;
  exposureCounts(src: number, n: number, median: number, band: number, loEdge: number, hiEdge: number): [number, number];
}

/**
 * One instance of the kernels with its own memory: the histogram's counts, an input region and an
 * output region of `capacity` floats each. Every view it returns stays valid until the next call on this
 * kernel (which may grow the memory, detaching earlier views, and overwrites the regions): a caller hands
 * a view to a consumer that is done with it before calling again, or copies it.
 */
export class PointKernel {
  private readonly exports: PointExports;
  private capacity = 0;
  /** Length of the frame in the input region (load). */
  private loaded = 0;

  constructor() {
    this.exports = new WebAssembly.Instance(pointKernelModule()).exports as unknown as PointExports;
  }

  /** a + b * clamp01((x - lower) * inv) of every x in `src`, as a view onto this kernel's memory. */
  window(src: Float32Array, lower: number, inv: number, a: number, b: number): Float32Array {
    const n = this.load(src);
    const dst = SRC + this.capacity * 4;
    (b === 1 ? this.exports.window01 : this.exports.window)(SRC, dst, n, lower, inv, a, b);
    return new Float32Array(this.exports.memory.buffer, dst, n);
  }

  /** Copies a frame into the input region, for histogram and exposureCounts (which read it there). */
  load(frame: Float32Array): number {
    const n = frame.length;
    this.ensure(n);
    new Float32Array(this.exports.memory.buffer, SRC, n).set(frame);
    return (this.loaded = n);
  }

  /** The HISTOGRAM_BINS counts of floor((x - lo) * scale), clamped to the bins, over the loaded frame (NaN skipped). */
  histogram(lo: number, scale: number): Uint32Array {
    const counts = new Uint32Array(this.exports.memory.buffer, COUNTS, HISTOGRAM_BINS);
    counts.fill(0);
    this.exports.histogram(SRC, this.loaded, lo, scale, COUNTS);
    return counts;
  }

  /** Of the loaded frame: how many x have |x - median| <= band, and how many x <= loEdge or x >= hiEdge. */
  exposureCounts(median: number, band: number, loEdge: number, hiEdge: number): { near: number; ends: number } {
    const [near, ends] = this.exports.exposureCounts(SRC, this.loaded, median, band, loEdge, hiEdge);
    return { near: near >>> 0, ends: ends >>> 0 };
  }

  private ensure(n: number): void {
    if (n <= this.capacity) return;
    const bytes = SRC + 2 * 4 * n;
    const { memory } = this.exports;
    const pages = Math.ceil(bytes / PAGE) - memory.buffer.byteLength / PAGE;
    if (pages > 0) memory.grow(pages);
    this.capacity = Math.floor((memory.buffer.byteLength - SRC) / 8);
  }
}
