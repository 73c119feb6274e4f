import { canonicalJson } from './hash-chain';
import { buildCarePathwayEnvelopes } from '../care-pathway.fixture';
import { buildThinFlowEnvelopes } from '../thin-flow.fixture';

/** The serialisation the first chain links were hashed with: a sorted copy, then JSON.stringify. */
function reference(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v && typeof v === 'object' && !(v instanceof Date)) {
      const o = v as Record<string, unknown>;
      return Object.fromEntries(Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => [k, sort(o[k])]));
    }
    return v;
  };
  return JSON.stringify(sort(value));
}

describe('canonicalJson', () => {
  it('is byte-identical to the sorted-copy serialisation the chain was first hashed with', () => {
    const flow = buildThinFlowEnvelopes();
    const more = buildCarePathwayEnvelopes(flow);
    for (const v of [...Object.values(flow), ...Object.values(more)]) expect(canonicalJson(v)).toBe(reference(v));
    const odd = { b: [1, undefined, 'x', null, { z: 1, a: [] }], a: undefined, 'é"\\': 'ü\n', d: new Date(0), n: -0, f: 1.5e-7, nested: { y: { x: true } } };
    expect(canonicalJson(odd)).toBe(reference(odd));
    expect(canonicalJson('s')).toBe('"s"');
    expect(canonicalJson(null)).toBe('null');
  });
});
