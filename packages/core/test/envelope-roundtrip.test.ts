import { createBundle, decodeBundle, encodeBundle, inspect } from '@modelbundle/core';
import { ALIGNMENT, bundleChunks, PREFIX_BYTES, sha256 } from '@modelbundle/core/format';
import { toHex } from '@modelbundle/core/internal';
import { draft } from '@modelbundle/testing';
import { describe, expect, it } from 'vitest';
import { pattern } from './helpers.js';

/** Byte equality without vitest's slow element-by-element comparison. */
const same = (a: Uint8Array | undefined, b: Uint8Array) =>
  a !== undefined && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

const cases: { name: string; sections: [string, Uint8Array][] }[] = [
  { name: 'no sections', sections: [] },
  { name: 'one section', sections: [['weights', pattern(1000)]] },
  { name: 'one empty section', sections: [['empty', new Uint8Array(0)]] },
  {
    name: 'empty sections between and around others',
    sections: [
      ['a', new Uint8Array(0)],
      ['b', pattern(63)],
      ['c', new Uint8Array(0)],
      ['d', pattern(64, 2)],
      ['e', pattern(65, 3)],
      ['f', new Uint8Array(0)],
    ],
  },
  { name: 'many sections', sections: Array.from({ length: 300 }, (_, i) => [`layer/${i}:kernel`, pattern(i * 7, i + 1)] as [string, Uint8Array]) },
];

describe('envelope round trips', () => {
  it.each(cases)('$name', async ({ sections }) => {
    const bundle = await createBundle(draft({ metadata: { note: 'round trip', n: sections.length } }), sections);
    const bytes = encodeBundle(bundle);
    const decoded = await decodeBundle(bytes);
    expect(decoded.header).toEqual(bundle.header);
    expect([...decoded.sections.keys()]).toEqual(sections.map(([name]) => name));
    for (const [name, data] of sections) expect(same(decoded.sections.get(name), data), name).toBe(true);
    expect(decoded.headerDigest).toEqual(await sha256(decoded.headerBytes));
    // Layout: every section starts on an aligned file offset; the last one ends the file.
    const dataStart = Math.ceil((PREFIX_BYTES + bundle.headerBytes.length) / ALIGNMENT) * ALIGNMENT;
    for (const entry of decoded.header.sections) {
      expect((dataStart + entry.offset) % ALIGNMENT).toBe(0);
      expect(entry.sha256).toBe(toHex(await sha256(sections.find(([n]) => n === entry.name)?.[1] as Uint8Array)));
    }
    const last = decoded.header.sections.at(-1);
    expect(bytes.length).toBe(last ? dataStart + last.offset + last.length : PREFIX_BYTES + bundle.headerBytes.length);
    // Streaming the chunks gives the same bytes as encodeBundle.
    expect(same(Buffer.concat([...bundleChunks(bundle)]), bytes)).toBe(true);
  });

  it('round-trips a ~100 MB section, viewed in place', async () => {
    const big = new Uint8Array(100 * 1024 * 1024 + 3);
    for (let i = 0; i < big.length; i += 4096) big[i] = i & 0xff;
    big[big.length - 1] = 0xab;
    const bytes = encodeBundle(
      await createBundle(draft(), [
        ['head', pattern(10)],
        ['big', big],
      ]),
    );
    const decoded = await decodeBundle(bytes);
    const view = decoded.sections.get('big') as Uint8Array;
    expect(view.length).toBe(big.length);
    expect(view.buffer).toBe(bytes.buffer);
    expect(view[view.length - 1]).toBe(0xab);
    expect(same(view, big)).toBe(true);
  });

  it('is deterministic: the same inputs give identical bytes', async () => {
    const make = async () =>
      encodeBundle(
        await createBundle(draft({ metadata: { z: 1, a: [1, 2, { y: 'x', b: null }], big: 2 ** 40, neg: -(2 ** 40), f: 0.1 } }), [
          ['x', pattern(77)],
          ['y', pattern(5, 9)],
        ]),
      );
    const [first, second] = [await make(), await make()];
    expect(same(second, first)).toBe(true);
    // Key order in the input does not matter either.
    const reordered = encodeBundle(
      await createBundle(draft({ metadata: { neg: -(2 ** 40), f: 0.1, big: 2 ** 40, a: [1, 2, { b: null, y: 'x' }], z: 1 } }), [
        ['x', pattern(77)],
        ['y', pattern(5, 9)],
      ]),
    );
    expect(same(reordered, first)).toBe(true);
  });

  it('decodes sections as views into the input, not copies', async () => {
    const bytes = await encodeBundleWith([
      ['a', pattern(10)],
      ['f32', new Uint8Array(new Float32Array([1.5, -2, 3.25]).buffer)],
    ]);
    const decoded = await decodeBundle(bytes);
    const f32 = decoded.sections.get('f32') as Uint8Array;
    expect(f32.buffer).toBe(bytes.buffer);
    expect(f32.byteOffset % ALIGNMENT).toBe(0);
    // Aligned, so a Float32Array views it without a copy.
    expect([...new Float32Array(f32.buffer, f32.byteOffset, f32.length / 4)]).toEqual([1.5, -2, 3.25]);
    // Writing through the input shows in the view: it is the same memory.
    bytes[f32.byteOffset] = 0x7f;
    expect(f32[0]).toBe(0x7f);
  });

  it('gives plain Uint8Array views for a Node Buffer input, so slice() copies as the standard says', async () => {
    const buffer = Buffer.from(await encodeBundleWith([['a', pattern(16)]]));
    const section = (await decodeBundle(buffer)).sections.get('a') as Uint8Array;
    expect(section.constructor).toBe(Uint8Array);
    expect(section.buffer).toBe(buffer.buffer);
    const copy = section.slice(0, 4);
    copy[0] = 0xff;
    expect(section[0]).not.toBe(0xff);
  });

  it('accepts an ArrayBuffer, a Uint8Array with an offset and a DataView', async () => {
    const bytes = await encodeBundleWith([['a', pattern(33)]]);
    const padded = new Uint8Array(bytes.length + 64);
    padded.set(bytes, 64);
    for (const input of [bytes.slice().buffer, padded.subarray(64), new DataView(padded.buffer, 64, bytes.length)]) {
      const decoded = await decodeBundle(input);
      expect(decoded.sections.get('a')).toEqual(pattern(33));
    }
  });

  it('inspect reads the header from the prefix and header bytes alone', async () => {
    const bytes = await encodeBundleWith([['a', pattern(5000)]]);
    const full = await inspect(bytes);
    const headLength = PREFIX_BYTES + full.headerLength;
    const fromHead = await inspect(bytes.slice(0, headLength));
    expect(fromHead).toEqual(full);
    expect(full.fileLength).toBe(bytes.length);
    expect(full.signed).toBe(false);
    expect(full.header.sections[0]?.name).toBe('a');
    expect(full.headerDigest).toMatch(/^[0-9a-f]{64}$/);
  });
});

async function encodeBundleWith(sections: [string, Uint8Array][]): Promise<Uint8Array> {
  return encodeBundle(await createBundle(draft(), sections));
}
