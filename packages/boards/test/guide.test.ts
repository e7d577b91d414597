import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeBundle } from '@modelbundle/core';
import { transform } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { docExamples } from '../../../test/browser/support/doc-example.js';
import { linearBundle } from '../../serve/test/helpers.js';
import { objectStore } from './helpers.js';

// The code blocks of docs/guides/boards.md run here as a reader would run them, against the real Ceph store.
const GUIDE = new URL('../../../docs/guides/boards.md', import.meta.url);
const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function runExample(dir: string, code: string, env: Record<string, string>) {
  const { code: js } = await transform(code, { loader: 'ts', format: 'esm', target: 'node20' });
  const file = join(dir, `example-${Math.random().toString(36).slice(2)}.mjs`);
  await writeFile(file, js);
  return spawnSync(process.execPath, [file], { cwd: dir, encoding: 'utf8', timeout: 120_000, env: { ...process.env, ...env } });
}

describe('docs/guides/boards.md', () => {
  it('publishes, promotes and reads a verified version on S3', async () => {
    const examples = await docExamples(GUIDE);
    expect([...examples.keys()].sort()).toEqual(['publish', 'read']);
    const store = await objectStore();
    // Inside this package, so the examples' imports resolve as they would in a reader's project.
    const cache = new URL('./.cache/', import.meta.url).pathname;
    await mkdir(cache, { recursive: true });
    const dir = await mkdtemp(join(cache, 'boards-guide-'));
    dirs.push(dir);
    const bytes = encodeBundle(await linearBundle());
    await writeFile(join(dir, 'penguins.mbnd'), bytes);
    const env = { ...store.env, BOARD: `s3://${await store.bucket('guide')}/prod`, MODELBUNDLE_CACHE: join(dir, 'cache') };

    const first = await runExample(dir, examples.get('publish') as string, env);
    expect(first.status, first.stderr).toBe(0);
    const [, version] = /^published penguins@(\S+); champion -> (\S+)$/m.exec(first.stdout) ?? [];
    expect(first.stdout.trim()).toBe(`published penguins@${version}; champion -> ${version}`);
    const again = await runExample(dir, examples.get('publish') as string, env);
    expect(again.stdout.trim()).toBe(`already had penguins@${version}; champion -> ${version}`);

    const read = await runExample(dir, examples.get('read') as string, env);
    expect(read.status, read.stderr).toBe(0);
    expect(read.stdout.trim()).toBe(
      `example.linear ${version}: ${bytes.length} verified bytes at ${join(dir, 'cache')}/${read.stdout.trim().split('/').at(-1)}`,
    );
    expect(read.stdout).toMatch(/[0-9a-f]{64}\.mbnd$/m);
  });
});
