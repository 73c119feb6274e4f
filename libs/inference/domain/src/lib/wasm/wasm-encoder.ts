/**
 * A tiny WebAssembly binary encoder: just enough of the format (core spec 1.0 plus the fixed-width SIMD
 * proposal, now in the core spec) to emit the few kernels of this library from TypeScript, without a
 * wat2wasm toolchain. Sections, LEB128 integers and the opcodes the kernels use, named as constants.
 */

export const VALTYPE = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b } as const;
export type ValType = (typeof VALTYPE)[keyof typeof VALTYPE];

/** Core opcodes (one byte each). */
export const OP = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  end: 0x0b,
  br: 0x0c,
  br_if: 0x0d,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  select: 0x1b,
  i32Load: 0x28,
  f32Load: 0x2a,
  i32Store: 0x36,
  i32Const: 0x41,
  f64Const: 0x44,
  i32Eqz: 0x45,
  i32LtS: 0x48,
  i32LtU: 0x49,
  i32GtS: 0x4a,
  i32GeU: 0x4f,
  f64Eq: 0x61,
  f64Lt: 0x63,
  f64Le: 0x65,
  f64Ge: 0x66,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32And: 0x71,
  i32Or: 0x72,
  i32Shl: 0x74,
  i64Add: 0x7c,
  f64Abs: 0x99,
  f64Floor: 0x9c,
  f64Sub: 0xa1,
  f64Mul: 0xa2,
  i32WrapI64: 0xa7,
  i32TruncF64S: 0xaa,
  f64PromoteF32: 0xbb,
} as const;

/** Saturating truncations: the prefix 0xfc followed by this number as an unsigned LEB128. */
export const SAT_PREFIX = 0xfc;
export const SAT = { i32TruncSatF64S: 0x02 } as const;

/** The empty block type (a block, loop or if that yields nothing). */
export const BLOCK_VOID = 0x40;

/** SIMD opcodes: each is the prefix 0xfd followed by this number as an unsigned LEB128. */
export const SIMD_PREFIX = 0xfd;
export const SIMD = {
  v128Load: 0x00,
  v128Store: 0x0b,
  f64x2Splat: 0x14,
  i64x2ExtractLane: 0x1d,
  f64x2Le: 0x4b,
  f64x2Ge: 0x4c,
  v128Or: 0x50,
  v128Load32Zero: 0x5c,
  v128Load64Zero: 0x5d,
  v128Store32Lane: 0x5a,
  v128Store64Lane: 0x5b,
  f32x4DemoteF64x2Zero: 0x5e,
  f64x2PromoteLowF32x4: 0x5f,
  i64x2Sub: 0xd1,
  f64x2Abs: 0xec,
  f64x2Add: 0xf0,
  f64x2Sub: 0xf1,
  f64x2Mul: 0xf2,
  /** pmin(a, b) = b < a ? b : a (the ternary, NaN in a kept: not the IEEE minimum). */
  f64x2Pmin: 0xf6,
  /** pmax(a, b) = a < b ? b : a. */
  f64x2Pmax: 0xf7,
} as const;

const SECTION = { type: 1, function: 3, memory: 5, export: 7, code: 10 } as const;
const EXPORT_KIND = { func: 0x00, memory: 0x02 } as const;
const FUNC_TYPE = 0x60;

/** Unsigned LEB128. */
export function uleb(n: number): number[] {
  if (!Number.isInteger(n) || n < 0) throw new Error(`uleb: ${n} is not a non-negative integer`);
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return out;
}

/** Signed LEB128 (32-bit range). */
export function sleb(n: number): number[] {
  if (!Number.isInteger(n) || n < -(2 ** 31) || n >= 2 ** 31) throw new Error(`sleb: ${n} is not a 32-bit integer`);
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    const done = (n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

/** A length-prefixed vector of already-encoded items. */
function vec(items: readonly number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function name(s: string): number[] {
  const bytes = [...Buffer.from(s, 'utf8')];
  return [...uleb(bytes.length), ...bytes];
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

/** Instruction helpers: each returns the bytes of one instruction. */
export const ins = {
  op: (code: number) => [code],
  simd: (code: number) => [SIMD_PREFIX, ...uleb(code)],
  sat: (code: number) => [SAT_PREFIX, ...uleb(code)],
  /** A core memory instruction with its memarg (alignment as log2 bytes, offset). */
  mem: (code: number, alignLog2: number, offset = 0) => [code, ...uleb(alignLog2), ...uleb(offset)],
  /** A SIMD lane instruction without memory (extract/replace lane). */
  simdLaneOp: (code: number, lane: number) => [SIMD_PREFIX, ...uleb(code), lane],
  /** A SIMD memory instruction with its memarg (alignment as log2 bytes, offset). */
  simdMem: (code: number, alignLog2: number, offset = 0) => [SIMD_PREFIX, ...uleb(code), ...uleb(alignLog2), ...uleb(offset)],
  /** A SIMD store/load lane instruction: memarg then the lane index. */
  simdLane: (code: number, alignLog2: number, lane: number, offset = 0) => [SIMD_PREFIX, ...uleb(code), ...uleb(alignLog2), ...uleb(offset), lane],
  localGet: (i: number) => [OP.localGet, ...uleb(i)],
  localSet: (i: number) => [OP.localSet, ...uleb(i)],
  localTee: (i: number) => [OP.localTee, ...uleb(i)],
  i32Const: (n: number) => [OP.i32Const, ...sleb(n)],
  f64Const: (x: number) => {
    const b = Buffer.alloc(8);
    b.writeDoubleLE(x);
    return [OP.f64Const, ...b];
  },
};

export interface WasmFunction {
  name: string;
  params: readonly ValType[];
  results: readonly ValType[];
  /** Locals beyond the parameters, in order (indices continue after the parameters). */
  locals: readonly ValType[];
  /** The body's instructions, without the final `end`. */
  body: readonly number[][];
}

/** A module with one memory (exported as `memory`, `pages` 64 KiB pages initially) and exported functions. */
export function encodeModule(functions: readonly WasmFunction[], pages: number): Uint8Array {
  const types = functions.map((f) => [FUNC_TYPE, ...vec(f.params.map((t) => [t])), ...vec(f.results.map((t) => [t]))]);
  const funcs = functions.map((_, i) => uleb(i));
  const memory = [[0x00, ...uleb(pages)]]; // limits: min only
  const exports = [
    [...name('memory'), EXPORT_KIND.memory, ...uleb(0)],
    ...functions.map((f, i) => [...name(f.name), EXPORT_KIND.func, ...uleb(i)]),
  ];
  const codes = functions.map((f) => {
    const locals = vec(f.locals.map((t) => [...uleb(1), t]));
    const body = [...locals, ...f.body.flat(), OP.end];
    return [...uleb(body.length), ...body];
  });
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d], // "\0asm"
    ...[0x01, 0x00, 0x00, 0x00], // version 1
    ...section(SECTION.type, vec(types)),
    ...section(SECTION.function, vec(funcs)),
    ...section(SECTION.memory, vec(memory)),
    ...section(SECTION.export, vec(exports)),
    ...section(SECTION.code, vec(codes)),
  ]);
}
