import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBundle, encodeBundle } from '@modelbundle/core';
import { readBundle, writeBundle } from '@modelbundle/core/node';
import { draft } from '@modelbundle/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeChunks } from '../src/node/file-io.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mb-write-chunks-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const filled = (length: number, seed: number) => new Uint8Array(length).map((_, i) => (i * 7 + seed) & 255);

describe('writeChunks', () => {
  it('writes every chunk in order: empty, tiny, more than one batch of them, and larger than a batch', async () => {
    const chunks = [
      new Uint8Array(0),
      ...Array.from({ length: 2500 }, (_, i) => filled(i % 97, i)),
      filled(9 * 1024 * 1024, 1),
      filled(3, 2),
      new Uint8Array(0),
    ];
    const path = join(dir, 'chunks.bin');
    const handle = await open(path, 'w');
    await writeChunks(handle, chunks);
    await handle.close();
    const expected = Buffer.concat(chunks);
    expect(Buffer.compare(await readFile(path), expected)).toBe(0);
  });

  it('gives a bundle of many small sections the same bytes as encodeBundle', async () => {
    const sections = Array.from({ length: 300 }, (_, i) => [`weights/${i}`, filled(i * 4 + 1, i)] as const);
    const bundle = await createBundle(draft({ kind: 'test.many', producer: { name: 'test', version: '0.0.0' }, created: new Date(0).toISOString() }), sections);
    const path = join(dir, 'many.mbnd');
    await writeBundle(path, bundle);
    expect(Buffer.compare(await readFile(path), Buffer.from(encodeBundle(bundle)))).toBe(0);
    const back = await readBundle(path);
    expect(back.sections.get('weights/299')).toEqual(sections[299]?.[1]);
  });
});
