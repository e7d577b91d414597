import { crc32 as zlibCrc32 } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32, crc32Js } from '../src/read/crc32.js';

describe('zip CRC-32', () => {
  it('the browser loop agrees with zlib at every length and alignment', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(7), (bytes, shift) => {
        const padded = new Uint8Array(bytes.length + shift);
        padded.set(bytes, shift);
        const view = padded.subarray(shift);
        expect(crc32Js(view)).toBe(zlibCrc32(view) >>> 0);
        expect(crc32(view)).toBe(crc32Js(view));
      }),
    );
  });

  it('matches the published check value of "123456789"', () => {
    expect(crc32Js(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });
});
