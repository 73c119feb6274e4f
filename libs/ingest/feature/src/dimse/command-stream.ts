/**
 * dcmjs-dimse 0.3.3 collects each command set (and non-C-STORE data sets) in a `memorystream` Writable and
 * reads it back with `toBuffer()`, which calls the deprecated `new Buffer(size)`: Node then inspects the
 * call stack on each of a process's first 10,000 such calls (about 70 µs per command here). The session
 * gives each such stream this equivalent `toBuffer` (same bytes: the queued chunks in order).
 */
interface QueuedStream {
  queue: unknown[];
  toBuffer(): Buffer;
}

export function isQueuedStream(stream: unknown): stream is QueuedStream {
  return typeof stream === 'object' && stream !== null && Array.isArray((stream as QueuedStream).queue) && typeof (stream as QueuedStream).toBuffer === 'function';
}

/** Replaces the stream's `toBuffer` by a Buffer.concat of its queue, falling back to the original for non-Buffer chunks. */
export function withConcatToBuffer<T>(stream: T): T {
  if (!isQueuedStream(stream)) return stream;
  const original = stream.toBuffer;
  stream.toBuffer = function toBuffer(this: QueuedStream): Buffer {
    const queue = this.queue;
    for (const chunk of queue) if (!Buffer.isBuffer(chunk)) return original.call(this);
    return Buffer.concat(queue as Buffer[]);
  };
  return stream;
}
