import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChunkReader } from '../src/chunks.js';

/** Chunks of random sizes (empty ones included) and a range inside their total. */
const chunksAndRange = fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 12 }).chain((chunks) => {
  const total = chunks.reduce((n, c) => n + c.length, 0);
  return fc.tuple(fc.constant(chunks), fc.nat(total), fc.nat(total)).map(([c, a, b]) => [c, Math.min(a, b), Math.max(a, b)] as const);
});

describe('ChunkReader', () => {
  it('gives the bytes of any range across the chunks, a view without a copy when one chunk holds it', () => {
    fc.assert(
      fc.property(chunksAndRange, ([chunks, start, end]) => {
        const joined = Uint8Array.from(chunks.flatMap((c) => [...c]));
        const reader = new ChunkReader(chunks.map((c) => c.slice().buffer));
        expect(reader.byteLength).toBe(joined.length);
        const view = reader.view(start, end);
        expect([...view]).toEqual([...joined.subarray(start, end)]);
        expect([...reader.slice(start, end)]).toEqual([...joined.subarray(start, end)]);
      }),
    );
  });

  it('views the chunk that holds a range, with no copy', () => {
    const chunks = [Uint8Array.of(1, 2, 3), new Uint8Array(0), Uint8Array.of(4, 5), Uint8Array.of(6)];
    const reader = new ChunkReader(chunks);
    expect(reader.view(3, 5).buffer).toBe(chunks[2]?.buffer);
    expect([...reader.view(3, 5)]).toEqual([4, 5]);
    expect(reader.view(5, 6).buffer).toBe(chunks[3]?.buffer);
    // Across two chunks: a new buffer.
    expect(reader.view(2, 4).buffer).not.toBe(chunks[0]?.buffer);
    expect([...reader.view(2, 4)]).toEqual([3, 4]);
  });
});
