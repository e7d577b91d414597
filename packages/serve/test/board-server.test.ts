import { Board, BundleCache, FolderStorage } from '@modelbundle/boards';
import { exportPublicKey, generateKeyPair, signBundle } from '@modelbundle/core';
import { createBoardServer } from '@modelbundle/serve';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../boards/test/helpers.js';
import { linearBundle, linearRegistry } from './helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

async function freshBoard(): Promise<Board> {
  const folder = await tempDir('board-server');
  const cache = await tempDir('board-server-cache');
  cleanups.push(folder.cleanup, cache.cleanup);
  return new Board(new FolderStorage(folder.dir), { cache: new BundleCache(cache.dir) });
}

const predict = async (url: string) =>
  (
    (await (
      await fetch(`${url}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[{"x1":1,"x2":2,"group":"a"}]' })
    ).json()) as {
      predictions: { '.pred': number }[];
    }
  ).predictions[0]?.['.pred'];

describe('createBoardServer', () => {
  it('serves the version an alias names, and swaps while requests in flight finish on the old model', async () => {
    const board = await freshBoard();
    const slow = await board.write('linear', await linearBundle({ bias: 0, latencyMs: 400 }));
    const fast = await board.write('linear', await linearBundle({ bias: 100 }));
    await board.alias('linear', 'champion', slow.version);
    const server = await createBoardServer({ board, name: 'linear', ref: 'champion', registry: linearRegistry(), logLevel: 'silent' });
    const url = await server.listen(0);
    try {
      const meta = (await (await fetch(`${url}/metadata`)).json()) as { kind: string; board: Record<string, string> };
      expect(meta.kind).toBe('example.linear');
      expect(meta.board).toEqual({ board: board.location, name: 'linear', ref: 'champion', version: slow.version, headerDigest: slow.headerDigest });

      const inFlight = predict(url); // takes 400 ms on the old model
      await new Promise((r) => setTimeout(r, 50));
      await board.alias('linear', 'champion', fast.version);
      expect(await server.refresh()).toBe(true);
      expect(await predict(url)).toBe(100); // new requests: the new model
      expect(await inFlight).toBe(0); // the request in flight finished on the old one
      expect(server.current().version).toBe(fast.version);
      expect(await server.refresh()).toBe(false);
    } finally {
      await server.close();
    }
  });

  it('keeps the old model when the new version is signed by an untrusted key', async () => {
    const board = await freshBoard();
    const publisher = await generateKeyPair();
    const stranger = await generateKeyPair();
    const good = await board.write('linear', await signBundle(await linearBundle({ bias: 1 }), publisher.privateKey));
    const server = await createBoardServer({
      board,
      name: 'linear',
      registry: linearRegistry(),
      logLevel: 'silent',
      trustedKeys: [await exportPublicKey(publisher.publicKey)],
    });
    const url = await server.listen(0);
    try {
      await board.write('linear', await signBundle(await linearBundle({ bias: 2 }), stranger.privateKey));
      await expect(server.refresh()).rejects.toMatchObject({ code: 'SIGNATURE_INVALID' });
      expect(server.current().version).toBe(good.version);
      expect(await predict(url)).toBe(1);
    } finally {
      await server.close();
    }
  });
});
