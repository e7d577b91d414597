import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Bundle, createBundle, decodeBundle, encodeBundle, generateKeyPair, type HeaderDraft, signBundle, verifySignature } from '@modelbundle/core';
import { readBundle } from '@modelbundle/core/node';
import { draft, expectCode } from '@modelbundle/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAMAGE_CODES, damagedRegions } from './support/regions.js';

const flipDraft: HeaderDraft = draft({ kind: 'test.integrity', metadata: { note: 'bit flips' }, payload: { shape: [3] } });

function filled(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

function flip(bytes: Uint8Array, bit: number): Uint8Array {
  const out = bytes.slice();
  out[bit >> 3] = (out[bit >> 3] as number) ^ (1 << (bit & 7));
  return out;
}

/** Runs `check` on a copy with one bit flipped: it must fail with a damage code that names a region holding that bit. */
async function expectDetected(check: () => Promise<unknown>, bit: number, bundle: Bundle, signed: boolean): Promise<void> {
  const where = `bit ${bit} (byte ${bit >> 3})`;
  const error = await expectCode(check, DAMAGE_CODES).catch((e: unknown) => {
    throw new Error(`${where}: ${(e as Error).message}`);
  });
  expect(damagedRegions(bit >> 3, bundle.header, bundle.headerBytes.length, signed), `${where}: ${error.code} ${error.message}`).toContain(
    error.details.region,
  );
}

describe('every single-bit flip is detected and located', () => {
  let small: Bundle;
  let signedSmall: Bundle;
  let large: Bundle;
  let publicKey: CryptoKey;
  let dir: string;

  beforeAll(async () => {
    small = await createBundle(flipDraft, [
      ['weights', filled(40, 1)],
      ['bias', filled(5, 2)],
    ]);
    const keys = await generateKeyPair();
    publicKey = keys.publicKey;
    signedSmall = await signBundle(small, keys.privateKey);
    large = await createBundle({ ...flipDraft, metadata: { note: 'x'.repeat(3000) } }, [
      ['a', filled(1 << 20, 3)],
      ['b', filled(333_333, 4)],
      ['c', filled(1, 5)],
    ]);
    dir = await mkdtemp(join(tmpdir(), 'mb-integrity-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('exhaustively over a small unsigned bundle (decodeBundle)', async () => {
    const bytes = encodeBundle(small);
    expect(bytes.length).toBeLessThan(1024);
    for (let bit = 0; bit < bytes.length * 8; bit++) {
      await expectDetected(() => decodeBundle(flip(bytes, bit)), bit, small, false);
    }
  });

  it('exhaustively over a small signed bundle (decodeBundle, then verifySignature with the trusted key)', async () => {
    const bytes = encodeBundle(signedSmall);
    for (let bit = 0; bit < bytes.length * 8; bit++) {
      const damaged = flip(bytes, bit);
      await expectDetected(async () => verifySignature(await decodeBundle(damaged), publicKey), bit, signedSmall, true);
    }
  });

  it('sampled over a 1.3 MiB bundle, including the first and last byte of every region', async () => {
    const bytes = encodeBundle(large);
    const base = Math.ceil((128 + large.headerBytes.length) / 64) * 64;
    const edges = [0, 15, 16, 23, 24, 31, 32, 63, 64, 127, 128, 127 + large.headerBytes.length, 128 + large.headerBytes.length, base - 1];
    for (const s of large.header.sections) edges.push(base + s.offset - 1, base + s.offset, base + s.offset + s.length - 1);
    const sampled = fc.sample(fc.integer({ min: 0, max: bytes.length * 8 - 1 }), { seed: 7, numRuns: 400 });
    const bits = [...new Set([...edges.flatMap((byte) => [byte * 8, byte * 8 + 7]), ...sampled])];
    for (const bit of bits) await expectDetected(() => decodeBundle(flip(bytes, bit)), bit, large, false);
  });

  it('sampled through files (readBundle)', async () => {
    const bytes = encodeBundle(small);
    const path = join(dir, 'flipped.mbnd');
    for (const bit of fc.sample(fc.integer({ min: 0, max: bytes.length * 8 - 1 }), { seed: 11, numRuns: 300 })) {
      await writeFile(path, flip(bytes, bit));
      await expectDetected(() => readBundle(path), bit, small, false);
    }
  });
});
