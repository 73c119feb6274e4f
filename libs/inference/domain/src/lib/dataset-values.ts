/** Typed reads of naturalized dcmjs values (a value or a list of values; DS/IS may come as strings). */

/** The first value of a possibly multi-valued attribute. */
export function first(v: unknown): unknown {
  return Array.isArray(v) ? v[0] : v;
}

/** The first value as a finite number, else undefined. */
export function num(v: unknown): number | undefined {
  const x = first(v);
  const n = typeof x === 'string' ? Number(x) : x;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
}

/** The first `count` values as finite numbers, else undefined. */
export function nums(v: unknown, count: number): number[] | undefined {
  if (!Array.isArray(v) || v.length < count) return undefined;
  const out = v.slice(0, count).map(num);
  return out.every((x) => x !== undefined) ? (out as number[]) : undefined;
}

/** The first value as a trimmed string, else undefined. */
export function str(v: unknown): string | undefined {
  const x = first(v);
  return typeof x === 'string' ? x.trim() : undefined;
}

/** One byte string from several (no copy when there is only one). */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/** The smallest and largest value (Infinity, -Infinity when empty). */
export function extent(values: ArrayLike<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}
