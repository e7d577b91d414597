import { type ChildProcess, spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Board, BundleCache, FolderStorage, openBoard, type WriteResult } from '@modelbundle/boards';
import { readBundle } from '@modelbundle/core/node';
import { afterAll, describe, expect, it } from 'vitest';
import { makeBundle, objectStore, tempDir } from './helpers.js';

const PUBLISHER = join(import.meta.dirname, 'fixtures/publish.mjs');
const READER = join(import.meta.dirname, 'fixtures/read.mjs');
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

interface Publisher {
  child: ChildProcess;
  lines: AsyncIterator<string>;
}

function startPublisher(args: string[], env: Record<string, string>, script = PUBLISHER): Publisher {
  const child = spawn(process.execPath, [script, ...args], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'inherit'] });
  return { child, lines: createInterface({ input: child.stdout as NonNullable<ChildProcess['stdout']> })[Symbol.asyncIterator]() };
}

async function nextLine(p: Publisher): Promise<string> {
  const { value, done } = await p.lines.next();
  if (done) throw new Error(`publisher ${p.child.pid} ended without output (exit ${p.child.exitCode})`);
  return value;
}

/** Starts 8 publishers, waits until each holds its bundle, then releases them all at once. */
async function publishAtOnce(location: string, seeds: number[], env: Record<string, string>, size = 200_000): Promise<WriteResult[]> {
  const publishers = seeds.map((seed) => startPublisher([location, 'race', String(seed), String(size), '--hold'], env));
  for (const p of publishers) expect(await nextLine(p)).toBe('ready');
  for (const p of publishers) p.child.stdin?.write('go\n');
  const results: WriteResult[] = [];
  for (const p of publishers) {
    let line = await nextLine(p);
    if (line === 'uploading') line = await nextLine(p);
    results.push(JSON.parse(line));
  }
  return results;
}

async function boards(): Promise<{ label: string; location: string; env: Record<string, string>; board: (cache: BundleCache) => Board }[]> {
  const { dir, cleanup } = await tempDir('race-folder');
  cleanups.push(cleanup);
  const store = await objectStore();
  const bucket = await store.bucket('race');
  return [
    { label: 'folder', location: dir, env: {}, board: (cache) => new Board(new FolderStorage(dir), { cache }) },
    {
      label: 'S3',
      location: `s3://${bucket}/b`,
      env: store.env,
      board: (cache) => openBoard(`s3://${bucket}/b`, { cache, s3: { endpoint: store.endpoint } }),
    },
  ];
}

describe('concurrent publishers', async () => {
  const targets = await boards();
  for (const target of targets) {
    it(`8 processes publishing different content to ${target.label}: every version complete and listed once`, async () => {
      const { dir, cleanup } = await tempDir('race-cache');
      cleanups.push(cleanup);
      const board = target.board(new BundleCache(dir));
      const results = await publishAtOnce(target.location, [1, 2, 3, 4, 5, 6, 7, 8], target.env);
      expect(results.every((r) => r.created)).toBe(true);
      const versions = (await board.versions('race')).map((v) => v.version);
      expect(versions).toEqual(results.map((r) => r.version).sort());
      for (const result of results) expect((await board.read('race', result.version)).headerDigest).toBe(result.headerDigest);

      // The same content from 8 processes at once: stored once, and all 8 are told that version.
      const same = await publishAtOnce(target.location, [9, 9, 9, 9, 9, 9, 9, 9], target.env);
      expect(new Set(same.map((r) => r.version)).size).toBe(1);
      expect(same.filter((r) => r.created).length).toBe(1);
      const after = (await board.versions('race')).map((v) => v.version);
      expect(after.length).toBe(9);
      expect(after).toContain(same[0]?.version);
    });

    it(`8 processes reading one version from ${target.label} into one shared cache all get the same verified file`, async () => {
      const { dir, cleanup } = await tempDir('shared-cache');
      cleanups.push(cleanup);
      const board = target.board(new BundleCache(dir));
      const { version, headerDigest } = await board.write('shared', await makeBundle(5, 4 * 1024 * 1024));
      const readers = Array.from({ length: 8 }, () => startPublisher([target.location, 'shared', version], { ...target.env, MODELBUNDLE_CACHE: dir }, READER));
      for (const r of readers) expect(await nextLine(r)).toBe('ready');
      for (const r of readers) r.child.stdin?.write('go\n');
      const results = [];
      for (const r of readers) results.push(JSON.parse(await nextLine(r)));
      expect(new Set(results.map((r) => r.path)).size).toBe(1);
      expect(results.every((r) => r.headerDigest === headerDigest)).toBe(true);
      expect(await readdir(dir)).toEqual([`${headerDigest}.mbnd`]); // no temp file left behind
      expect((await readBundle(results[0].path)).headerDigest).toEqual((await makeBundle(5, 4 * 1024 * 1024)).headerDigest);
    });

    it(`a publisher killed mid-upload to ${target.label} leaves no version readers can see`, async () => {
      const board = target.board(new BundleCache((await tempDir('kill-cache')).dir));
      const before = (await board.versions('killed')).length;
      const p = startPublisher([target.location, 'killed', '77', String(32 * 1024 * 1024), '--pause'], target.env);
      expect(await nextLine(p)).toBe('uploading');
      p.child.kill('SIGKILL');
      await new Promise((r) => p.child.once('exit', r));
      expect((await board.versions('killed')).length).toBe(before);
      if (target.label === 'folder') {
        // It really died mid-upload: its half-written temp file is there, and readers ignore it.
        const files = await readdir(join(target.location, 'killed'), { recursive: true });
        expect(files.some((f) => f.endsWith('.upload'))).toBe(true);
      }
      expect(await board.list()).not.toContain('killed');
      const keys = (await board.storage.list?.('killed/')) ?? [];
      expect(keys.filter((k) => k.endsWith('meta.json'))).toEqual([]);
      // The dead writer's claim on that content does not block the next publisher of it.
      const again = startPublisher([target.location, 'killed', '77', String(32 * 1024 * 1024)], target.env);
      let line = await nextLine(again);
      if (line === 'uploading') line = await nextLine(again);
      expect(JSON.parse(line)).toMatchObject({ created: true });
      expect((await board.versions('killed')).length).toBe(before + 1);
    });
  }
});
