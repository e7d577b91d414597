import { readdir } from 'node:fs/promises';
import { Board, BundleCache, FolderStorage } from '@modelbundle/boards';
import { encodeBundle } from '@modelbundle/core';
import { afterAll, describe, expect, it } from 'vitest';
import { makeBundle, tempDir } from './helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

describe('the download cache', () => {
  it('stays within its bound, dropping the least recently used bundle first', async () => {
    const folder = await tempDir('cache-board');
    const cacheDir = await tempDir('cache-bound');
    cleanups.push(folder.cleanup, cacheDir.cleanup);
    const size = encodeBundle(await makeBundle(1, 50_000)).length;
    const board = new Board(new FolderStorage(folder.dir), { cache: new BundleCache(cacheDir.dir, 2 * size + 10) });
    const v = [];
    for (const seed of [1, 2, 3]) v.push((await board.write('m', await makeBundle(seed, 50_000))).version);
    await board.read('m', v[0]);
    await new Promise((r) => setTimeout(r, 20));
    await board.read('m', v[1]);
    await new Promise((r) => setTimeout(r, 20));
    expect((await board.read('m', v[0])).cached).toBe(true); // v[0] is now the most recently used
    await new Promise((r) => setTimeout(r, 20));
    const third = await board.read('m', v[2]);
    const kept = (await readdir(cacheDir.dir)).sort();
    expect(kept).toHaveLength(2);
    expect(kept).toContain(`${third.headerDigest}.mbnd`);
    expect((await board.read('m', v[0])).cached).toBe(true);
    expect((await board.read('m', v[1])).cached).toBe(false); // evicted, downloaded again
  });
});
