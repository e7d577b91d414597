import { Board, BundleCache, FolderStorage, openBoard } from '@modelbundle/boards';
import { encodeBundle } from '@modelbundle/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeBundle, tempDir } from './helpers.js';
import { type Nginx, startNginx } from './nginx.js';

describe('a read-only board served by nginx', () => {
  let nginx: Nginx;
  let writer: Board;
  let cleanups: (() => Promise<void>)[] = [];
  let reader: Board;
  const versions: string[] = [];
  beforeAll(async () => {
    const board = await tempDir('http-board');
    const cache = await tempDir('http-cache');
    cleanups = [board.cleanup, cache.cleanup];
    writer = new Board(new FolderStorage(board.dir), { cache: new BundleCache(cache.dir) });
    for (const seed of [1, 2]) versions.push((await writer.write('penguins', await makeBundle(seed, 300_000))).version);
    await writer.alias('penguins', 'champion', versions[0] as string);
    nginx = await startNginx(`root ${board.dir};`);
    reader = openBoard(`${nginx.url}/`, { cache: new BundleCache((await tempDir('http-reader-cache')).dir) });
  });
  afterAll(async () => {
    await nginx?.stop();
    for (const c of cleanups) await c();
  });

  it('lists, resolves and describes from the index and ranged reads', async () => {
    expect(await reader.list()).toEqual(['penguins']);
    expect((await reader.versions('penguins')).map((v) => v.version)).toEqual(versions);
    expect(await reader.aliases('penguins')).toEqual({ champion: versions[0] });
    expect(await reader.resolve('penguins', 'latest')).toBe(versions[1]);
    const meta = await reader.meta('penguins', 'champion');
    expect(meta.version).toBe(versions[0]);
    expect(meta.bytesRead).toBeLessThan(64 * 1024);
    expect(meta.size).toBeGreaterThan(300_000);
  });

  it('reads a verified bundle and refuses a tampered one', async () => {
    const read = await reader.read('penguins', 'champion');
    expect(read.headerDigest).toBe((await writer.meta('penguins', 'champion')).headerDigest);
    const key = `penguins/${versions[1]}/model.mbnd`;
    const bytes = encodeBundle(await makeBundle(2, 300_000));
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 1;
    await writer.storage.put?.(key, { bytes });
    await expect(reader.read('penguins', 'latest')).rejects.toMatchObject({ code: 'CORRUPT' });
  });

  it('refuses writes', async () => {
    await expect(reader.write('penguins', await makeBundle(3))).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('read-only'),
    });
  });
});
