import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeBundle } from '@modelbundle/core';
import { afterAll, describe, expect, it } from 'vitest';
import { makeBundle, objectStore, tempDir } from '../../boards/test/helpers.js';
import { runCli } from './helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

async function json(args: string[], env: Record<string, string>) {
  const result = await runCli([...args, '--json'], { env });
  if (result.code !== 0) throw new Error(`modelbundle ${args.join(' ')} exited ${result.code}: ${result.stdout}${result.stderr}`);
  return JSON.parse(result.stdout);
}

describe('modelbundle board', async () => {
  const store = await objectStore();
  const { dir: folder, cleanup } = await tempDir('cli-board');
  cleanups.push(cleanup);
  const bucket = await store.bucket('cli');
  const targets = [
    { label: 'a folder', board: join(folder, 'board'), env: {} as Record<string, string> },
    { label: 'S3 (Ceph)', board: `s3://${bucket}/prod`, env: store.env },
  ];
  for (const { label, board, env } of targets) {
    it(`writes, lists, aliases, reads, inspects and prunes on ${label}`, async () => {
      const cache = join(folder, `cache-${label.length}`);
      const e = { ...env, MODELBUNDLE_CACHE: cache };
      const files = [];
      for (const seed of [1, 2, 3]) {
        const file = join(folder, `m${seed}.mbnd`);
        await writeFile(file, encodeBundle(await makeBundle(seed)));
        files.push(file);
      }
      const written = [];
      for (const file of files) written.push(await json(['board', 'write', board, 'penguins', file, '--metadata', '{"team":"ml"}'], e));
      expect(written.every((w) => w.created)).toBe(true);
      const again = await json(['board', 'write', board, 'penguins', files[0] as string], e);
      expect(again).toMatchObject({ created: false, version: written[0].version });

      expect((await json(['board', 'list', board], e)).names).toEqual(['penguins']);
      await json(['board', 'alias', board, 'penguins', 'champion', written[0].version], e);
      const versions = await json(['board', 'versions', board, 'penguins'], e);
      expect(versions.versions.map((v: { version: string }) => v.version)).toEqual(written.map((w) => w.version));
      expect(versions.aliases).toEqual({ champion: written[0].version });
      expect(versions.latest).toBe(written[2].version);

      const meta = await json(['board', 'meta', board, 'penguins@champion'], e);
      expect(meta).toMatchObject({ version: written[0].version, metadata: { team: 'ml' }, kind: 'test.model' });
      expect(meta.bytesRead).toBeLessThan(65536);

      const out = join(folder, `out-${label.length}.mbnd`);
      const read = await json(['board', 'read', board, 'penguins@champion', '-o', out], e);
      expect(read.version).toBe(written[0].version);
      expect(await readFile(out)).toEqual(await readFile(files[0] as string));

      // inspect and verify take <board>/<name>@<ref> where they take a file.
      const inspected = await json(['inspect', `${board}/penguins@latest`], e);
      expect(inspected).toMatchObject({ headerDigest: written[2].headerDigest, kind: 'test.model' });
      expect(inspected.bytesRead).toBeLessThan(65536);
      const verified = await json(['verify', `${board}/penguins@champion`], e);
      expect(verified.intact).toBe(true);

      const pruned = await json(['board', 'prune', board, 'penguins', '--keep', '1'], e);
      expect(pruned.deleted).toEqual([written[1].version]);
      const missing = await runCli(['board', 'read', board, 'penguins@nobody', '--json'], { env: e });
      expect(missing.code).toBe(28);
      expect(JSON.parse(missing.stdout).error.code).toBe('NOT_FOUND');
    });
  }
});
