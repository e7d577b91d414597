import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createBundle, type DeferredSection, encodeBundle } from '@modelbundle/core';
import { writeBundle } from '@modelbundle/core/node';
import { draft, expectCode } from '@modelbundle/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pattern, sameBytes as same, tempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterEach(() => cleanup());

const MiB = 1024 * 1024;

/** A deferred section over `bytes` that records every read: where, how much, and into which buffer. */
function recorded(bytes: Uint8Array, reads: { start: number; end: number; into: ArrayBufferLike }[] = []): DeferredSection {
  return {
    byteLength: bytes.byteLength,
    read(start, end, into) {
      reads.push({ start, end, into: into.buffer });
      into.set(bytes.subarray(start, end));
      return into.subarray(0, end - start);
    },
  };
}

// 'big' spans 37 batches of 1 MiB; 'small' shares a batch with the end of 'big' and with 'tail'.
const data = { big: pattern(36 * MiB + 5, 3), small: pattern(1000, 5), tail: pattern(77, 7) };
const eager = () => createBundle(draft(), Object.entries(data));

describe('deferred sections', () => {
  it('write the same file as the bytes themselves, read in slices of at most 1 MiB into four reused buffers', async () => {
    const reads: { start: number; end: number; into: ArrayBufferLike }[] = [];
    const bundle = await createBundle(draft(), [
      ['big', recorded(data.big, reads)],
      ['small', data.small],
      ['tail', recorded(data.tail)],
    ]);
    const path = join(dir, 'deferred.mbnd');
    await writeBundle(path, bundle);
    expect(same(await readFile(path), encodeBundle(await eager()))).toBe(true);
    expect(reads.every(({ start, end }) => end - start <= MiB)).toBe(true);
    expect(reads.map(({ start }) => start)).toEqual(Array.from({ length: 37 }, (_, n) => n * MiB)); // each slice once, in order
    expect(reads.at(-1)?.end).toBe(data.big.byteLength);
    expect(new Set(reads.map(({ into }) => into)).size).toBe(4);
  });

  it('may be empty, or many small ones sharing one batch and one buffer', async () => {
    const small = Array.from({ length: 300 }, (_, i) => [`s${i}`, pattern(1000 + i, i + 1)] as [string, Uint8Array]);
    const named: [string, Uint8Array][] = [['empty', new Uint8Array(0)], ...small];
    const reads: { start: number; end: number; into: ArrayBufferLike }[] = [];
    const path = join(dir, 'many.mbnd');
    await writeBundle(
      path,
      await createBundle(
        draft(),
        named.map(([name, bytes]) => [name, recorded(bytes, reads)] as const),
      ),
    );
    expect(same(await readFile(path), encodeBundle(await createBundle(draft(), named)))).toBe(true);
    expect(reads).toHaveLength(301);
    expect(new Set(reads.map(({ into }) => into)).size).toBe(1); // 300 KB: one batch of 1 MiB, one buffer
  });

  it('give their whole bytes to anything else that asks the bundle, each time anew', async () => {
    const bundle = await createBundle(draft(), [
      ['small', recorded(data.small)],
      ['tail', data.tail],
    ]);
    const first = bundle.sections.get('small') as Uint8Array;
    expect(same(first, data.small)).toBe(true);
    expect(bundle.sections.get('small')).not.toBe(first);
    expect([...bundle.sections.keys()]).toEqual(['small', 'tail']);
    expect([...bundle.sections].map(([name, bytes]) => [name, bytes.byteLength])).toEqual([
      ['small', 1000],
      ['tail', 77],
    ]);
    expect(bundle.header.sections[0]?.sha256).toBe((await eager()).header.sections[1]?.sha256);
    expect(
      same(
        encodeBundle(bundle),
        encodeBundle(
          await createBundle(draft(), [
            ['small', data.small],
            ['tail', data.tail],
          ]),
        ),
      ),
    ).toBe(true);
  });

  it('that give the wrong length, or fail midway, leave the target as it was and no temp file', async () => {
    const path = join(dir, 'm.mbnd');
    await writeBundle(path, await eager());
    const before = await readFile(path);
    const short: DeferredSection = { byteLength: 1000, read: (start, end, into) => into.subarray(0, Math.max(0, end - start - 1)) };
    const wrong = await expectCode(async () => writeBundle(path, await createBundle(draft(), [['short', short]])), 'INVALID_ARGUMENT');
    expect(wrong.message).toContain('Deferred section "short" gave 999 bytes for bytes 0 to 1000');
    const failing: DeferredSection = {
      byteLength: data.big.byteLength,
      read(start, end, into) {
        if (start >= 16 * MiB) throw new Error('the weights are gone');
        into.set(data.big.subarray(start, end));
        return into.subarray(0, end - start);
      },
    };
    const error = await expectCode(async () => writeBundle(path, await createBundle(draft(), [['big', failing]])), 'IO_ERROR');
    expect((error.cause as Error).message).toBe('the weights are gone');
    expect(same(await readFile(path), before)).toBe(true);
    expect(await readdir(dir)).toEqual(['m.mbnd']);
  });
});
