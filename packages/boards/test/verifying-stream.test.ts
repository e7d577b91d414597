import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createBundle, encodeBundle } from '@modelbundle/core';
import { describe, expect, it } from 'vitest';
import { VerifyingStream } from '../src/verifying-stream.js';
import { makeBundle } from './helpers.js';

/** Streams `bytes` in chunks of `size` through a verifier and collects what comes out. */
async function run(bytes: Uint8Array, size: number, expectDigest?: string) {
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(Buffer.from(bytes.subarray(i, i + size)));
  const verifier = new VerifyingStream(expectDigest);
  const out: Buffer[] = [];
  await pipeline(
    Readable.from(chunks),
    verifier,
    new Writable({
      write(chunk, _e, done) {
        out.push(chunk);
        done();
      },
    }),
  );
  return { verifier, out: Buffer.concat(out) };
}

async function threeSections(): Promise<Uint8Array> {
  const bundle = await makeBundle(3, 1000);
  return encodeBundle(
    await createBundle({ ...bundle.header, sections: undefined } as never, [
      ['a', new Uint8Array(70).fill(1)],
      ['b', new Uint8Array(5).fill(2)],
      ['c', new Uint8Array(300).fill(3)],
    ]),
  );
}

describe('VerifyingStream', () => {
  it('passes an intact bundle through unchanged, in chunks of any size', async () => {
    const bytes = await threeSections();
    for (const size of [1, 7, 64, 1000, bytes.length]) {
      const { verifier, out } = await run(bytes, size);
      expect(new Uint8Array(out)).toEqual(bytes);
      expect(verifier.verified.inspection.fileLength).toBe(bytes.length);
    }
  });

  it('refuses damage wherever it is', async () => {
    const bytes = await threeSections();
    const damaged = (at: number) => {
      const copy = bytes.slice();
      copy[at] = (copy[at] as number) ^ 0x40;
      return copy;
    };
    await expect(run(damaged(bytes.length - 1), 13)).rejects.toMatchObject({ code: 'CORRUPT', details: { region: 'section:c' } });
    // The byte just after section "a" is padding before "b".
    const inspection = (await run(bytes, 64)).verifier.verified.inspection;
    const base = bytes.length - 300 - (inspection.header.sections[2]?.offset as number);
    await expect(run(damaged(base + 70), 13)).rejects.toMatchObject({ code: 'CORRUPT', details: { region: 'padding' } });
    await expect(run(damaged(200), 13)).rejects.toMatchObject({ code: 'CORRUPT', details: { region: 'header' } });
    await expect(run(bytes.subarray(0, bytes.length - 1), 13)).rejects.toMatchObject({ code: 'TRUNCATED' });
    await expect(run(bytes.subarray(0, 100), 13)).rejects.toMatchObject({ code: 'TRUNCATED' });
    await expect(run(new Uint8Array([...bytes, 0]), 13)).rejects.toMatchObject({ code: 'TRUNCATED' });
    await expect(run(new Uint8Array(500), 13)).rejects.toMatchObject({ code: 'NOT_A_BUNDLE' });
  });

  it('refuses another valid bundle than the one expected after its header', async () => {
    const other = encodeBundle(await makeBundle(4));
    await expect(run(other, 1000, 'f'.repeat(64))).rejects.toMatchObject({ code: 'CORRUPT', details: { region: 'header' } });
  });
});
