import { createRequire } from 'node:module';
import { withConcatToBuffer } from './command-stream';

// The memorystream dcmjs-dimse itself loads (a dependency of the library, not of the mesh).
const MemoryStream = createRequire(require.resolve('dcmjs-dimse'))('memorystream') as {
  createWriteStream(): NodeJS.WritableStream & { toBuffer(): Buffer; queue: unknown[] };
};

function filled(chunks: Buffer[]): NodeJS.WritableStream & { toBuffer(): Buffer; queue: unknown[] } {
  const stream = MemoryStream.createWriteStream();
  for (const c of chunks) stream.write(c);
  return stream;
}

describe('withConcatToBuffer', () => {
  it.each([
    ['no chunk', []],
    ['one command fragment', [Buffer.from('0000000004000000380000000000020012000000', 'hex')]],
    ['several fragments of odd sizes', [Buffer.alloc(1, 7), Buffer.from('abc'), Buffer.alloc(16384, 0x5a), Buffer.from([0, 255, 1])]],
  ])('gives the bytes memorystream gives: %s', (_name, chunks) => {
    const expected = filled(chunks as Buffer[]).toBuffer();
    const ours = withConcatToBuffer(filled(chunks as Buffer[])).toBuffer();
    expect(ours.equals(expected)).toBe(true);
    expect(ours.length).toBe((chunks as Buffer[]).reduce((n, c) => n + c.length, 0));
  });

  it('falls back to the original for a queued chunk that is not a Buffer', () => {
    const stream = withConcatToBuffer(filled([Buffer.from('ab')]));
    stream.queue.push('cd');
    expect(stream.toBuffer().toString('latin1')).toBe('abcd');
  });

  it('leaves anything that is not a queued stream alone', () => {
    expect(withConcatToBuffer(undefined)).toBeUndefined();
    const other = { toBuffer: () => Buffer.alloc(0) };
    expect(withConcatToBuffer(other)).toBe(other);
  });
});
