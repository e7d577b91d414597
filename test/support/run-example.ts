import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { transform } from 'esbuild';

/**
 * Runs a TypeScript example from the docs in a fresh Node process, in a
 * temporary folder made inside `parent` (so packages resolve from there as
 * they do for a reader of those docs), and removes the folder afterwards.
 */
export async function runTsExample(code: string, parent: string): Promise<SpawnSyncReturns<string>> {
  const { code: js } = await transform(code, { loader: 'ts', format: 'esm', target: 'node20' });
  const dir = await mkdtemp(join(parent, '.example-'));
  try {
    await writeFile(join(dir, 'example.mjs'), js);
    return spawnSync(process.execPath, ['example.mjs'], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
