import { readdir, readFile, writeFile } from 'node:fs/promises';
import { type Board, BundleCache } from '@modelbundle/boards';
import { encodeBundle, exportPublicKey, generateKeyPair, isModelBundleError, signBundle } from '@modelbundle/core';
import { readBundle } from '@modelbundle/core/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeBundle, tempDir } from './helpers.js';

/** What a backend's test file gives the shared suite: a fresh, empty board per call, with its own cache. */
export type BoardFactory = (cache: BundleCache) => Promise<Board>;

async function rejection(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isModelBundleError(error)) throw new Error(`expected a ModelBundleError, got ${String(error)}`);
  return error;
}

/**
 * The behaviour every writable backend shares, run against a real store by
 * each backend's test file (as unstorage's testDriver does).
 */
export function describeBoard(label: string, factory: BoardFactory): void {
  describe(`board on ${label}`, () => {
    let cacheDir: string;
    let cleanup: () => Promise<void>;
    let cache: BundleCache;
    beforeAll(async () => {
      ({ dir: cacheDir, cleanup } = await tempDir('board-cache'));
      cache = new BundleCache(cacheDir);
    });
    afterAll(() => cleanup());

    it('publishes, lists, describes and reads versions', async () => {
      const board = await factory(cache);
      const first = await board.write('penguins', await makeBundle(1), { metadata: { team: 'ml' } });
      expect(first.created).toBe(true);
      expect(first.version).toMatch(/^\d{8}T\d{9}Z-[0-9a-f]{12}$/);
      expect(first.version.endsWith(first.headerDigest.slice(0, 12))).toBe(true);
      const second = await board.write('penguins', await makeBundle(2));
      await board.write('iris', await makeBundle(3));
      expect(await board.list()).toEqual(['iris', 'penguins']);
      expect((await board.versions('penguins')).map((v) => v.version)).toEqual([first.version, second.version]);
      expect(await board.resolve('penguins', 'latest')).toBe(second.version);

      const meta = await board.meta('penguins', first.version);
      expect(meta).toMatchObject({ name: 'penguins', version: first.version, headerDigest: first.headerDigest, kind: 'test.model', metadata: { team: 'ml' } });
      expect(meta.summary).toEqual({ seed: 1 });
      expect(meta.size).toBe(encodeBundle(await makeBundle(1)).length);
      expect(meta.bytesRead).toBeLessThan(64 * 1024);

      const read = await board.read('penguins', first.version);
      expect(read.cached).toBe(false);
      expect(read.headerDigest).toBe(first.headerDigest);
      const bundle = await readBundle(read.path);
      expect(bundle.sections.get('weights')).toEqual((await makeBundle(1)).sections.get('weights'));
      expect((await board.read('penguins', first.version)).cached).toBe(true);
    });

    it('describes a version whose header is larger than the first ranged read', async () => {
      const board = await factory(cache);
      const { version } = await board.write('wide', await makeBundle(5, 1_000_000, { notes: 'x'.repeat(40_000) }));
      const meta = await board.meta('wide', version);
      expect(meta.bundleMetadata).toMatchObject({ notes: 'x'.repeat(40_000) });
      expect(meta.bytesRead).toBeGreaterThan(40_000);
      expect(meta.bytesRead).toBeLessThan(64 * 1024);
    });

    it('stores identical content once unless forced', async () => {
      const board = await factory(cache);
      const a = await board.write('dedupe', await makeBundle(10));
      const again = await board.write('dedupe', await makeBundle(10));
      expect(again).toEqual({ ...a, created: false });
      const forced = await board.write('dedupe', await makeBundle(10), { force: true });
      expect(forced.created).toBe(true);
      expect(forced.version).not.toBe(a.version);
      expect((await board.versions('dedupe')).length).toBe(2);
    });

    it('moves aliases, prunes around them and deletes versions', async () => {
      const board = await factory(cache);
      const v = [];
      for (let i = 0; i < 4; i++) v.push((await board.write('model', await makeBundle(20 + i))).version);
      expect(await board.alias('model', 'champion', v[0] as string)).toBe(v[0]);
      expect(await board.resolve('model', 'champion')).toBe(v[0]);
      await board.alias('model', 'champion', v[1] as string);
      await board.alias('model', 'challenger', 'latest');
      expect(await board.aliases('model')).toEqual({ challenger: v[3], champion: v[1] });
      expect((await board.meta('model', 'champion')).version).toBe(v[1]);

      expect(await board.prune('model', { keep: 1, dryRun: true })).toEqual([v[0], v[2]]);
      expect(await board.prune('model', { keep: 1 })).toEqual([v[0], v[2]]);
      expect((await board.versions('model')).map((x) => x.version)).toEqual([v[1], v[3]]);
      expect(await board.prune('model', { olderThan: new Date('2000-01-01') })).toEqual([]);

      expect((await rejection(board.delete('model', v[1] as string))).code).toBe('INVALID_ARGUMENT');
      await board.alias('model', 'champion', v[3] as string);
      await board.delete('model', v[1] as string);
      expect((await rejection(board.resolve('model', v[1] as string))).code).toBe('NOT_FOUND');
      expect((await rejection(board.resolve('model', 'nobody'))).code).toBe('NOT_FOUND');
      expect((await rejection(board.resolve('missing'))).code).toBe('NOT_FOUND');
      // Deleting frees the content: publishing it again makes a new version.
      const back = await board.write('model', await makeBundle(21));
      expect(back.created).toBe(true);
      expect(back.version).not.toBe(v[1]);
    });

    it('ignores a version without its commit marker', async () => {
      const board = await factory(cache);
      const bytes = encodeBundle(await makeBundle(30));
      await board.storage.put?.('half/20260101T000000000Z-000000000000/model.mbnd', { bytes });
      expect(await board.versions('half')).toEqual([]);
      expect(await board.list()).not.toContain('half');
      expect((await rejection(board.resolve('half', '20260101T000000000Z-000000000000'))).code).toBe('NOT_FOUND');
    });

    it('refuses tampered and truncated objects and never caches them', async () => {
      const { dir, cleanup: done } = await tempDir('tamper-cache');
      try {
        const board = await factory(new BundleCache(dir));
        const { version } = await board.write('victim', await makeBundle(40, 100_000));
        const key = `victim/${version}/model.mbnd`;
        const good = (await board.storage.getBytes(key)) as Uint8Array;
        const flipped = good.slice();
        flipped[good.length - 10] = (flipped[good.length - 10] as number) ^ 0xff;
        await board.storage.put?.(key, { bytes: flipped });
        expect((await rejection(board.read('victim', version))).code).toBe('CORRUPT');
        await board.storage.put?.(key, { bytes: good.subarray(0, good.length - 5000) });
        expect((await rejection(board.read('victim', version))).code).toBe('TRUNCATED');
        expect((await rejection(board.meta('victim', version))).code).toBe('TRUNCATED');
        // Another valid bundle in its place: its header digest differs from meta.json's.
        await board.storage.put?.(key, { bytes: encodeBundle(await makeBundle(41, 100_000)) });
        expect((await rejection(board.read('victim', version))).code).toBe('CORRUPT');
        expect((await rejection(board.meta('victim', version))).code).toBe('CORRUPT');
        expect(await readdir(dir)).toEqual([]);
        await board.storage.put?.(key, { bytes: good });
        expect((await board.read('victim', version)).cached).toBe(false);
      } finally {
        await done();
      }
    });

    it('checks signatures against trusted keys', async () => {
      const board = await factory(cache);
      const publisher = await generateKeyPair();
      const stranger = await generateKeyPair();
      const signed = await signBundle(await makeBundle(50), publisher.privateKey);
      await board.write('signed', signed);
      await board.write('unsigned', await makeBundle(51));
      const trusted = [await exportPublicKey(publisher.publicKey)];
      const ok = await board.read('signed', 'latest', { trustedKeys: trusted });
      expect(ok.signer).toMatch(/\S/);
      const wrong = await rejection(board.read('signed', 'latest', { trustedKeys: [await exportPublicKey(stranger.publicKey)] }));
      expect(wrong.code).toBe('SIGNATURE_INVALID');
      expect((await rejection(board.read('unsigned', 'latest', { trustedKeys: trusted }))).code).toBe('SIGNATURE_INVALID');
      expect((await board.meta('signed')).signed).toBe(true);
    });

    it('writes a bundle file as it is, byte for byte', async () => {
      const { dir, cleanup: done } = await tempDir('file-source');
      try {
        const board = await factory(cache);
        const { writeBundle } = await import('@modelbundle/core/node');
        const file = `${dir}/m.mbnd`;
        await writeBundle(file, await makeBundle(60));
        const { version } = await board.write('fromfile', file);
        const read = await board.read('fromfile', version);
        expect(await readFile(read.path)).toEqual(await readFile(file));
        // A damaged file is refused before anything is uploaded.
        const damaged = encodeBundle(await makeBundle(61));
        damaged[damaged.length - 1] = (damaged[damaged.length - 1] as number) ^ 1;
        await writeFile(`${dir}/bad.mbnd`, damaged);
        expect((await rejection(board.write('damaged', `${dir}/bad.mbnd`))).code).toBe('CORRUPT');
        expect((await rejection(board.write('damaged', `${dir}/missing.mbnd`))).code).toBe('IO_ERROR');
        expect(await board.list()).not.toContain('damaged');
      } finally {
        await done();
      }
    });
  });
}
