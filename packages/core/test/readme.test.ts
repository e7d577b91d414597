import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transform } from 'esbuild';
import { describe, expect, it } from 'vitest';

const CORE_DIR = fileURLToPath(new URL('..', import.meta.url));

describe('README example', () => {
  it('runs in a fresh Node process and prints what the README says', async () => {
    const readme = await readFile(join(CORE_DIR, 'README.md'), 'utf8');
    const code = /```ts\n([\s\S]*?)\n```/.exec(readme)?.[1];
    const printed = /It prints:\n\n```text\n([\s\S]*?)\n```/.exec(readme)?.[1];
    if (!code || !printed) throw new Error('README.md lost its example or its output');
    const { code: js } = await transform(code, { loader: 'ts', format: 'esm', target: 'node20' });
    // Inside the package, so `@modelbundle/core` resolves to this package; the bundle is written there too.
    const dir = await mkdtemp(join(CORE_DIR, 'test', '.readme-'));
    try {
      await writeFile(join(dir, 'example.mjs'), js);
      const result = spawnSync(process.execPath, ['example.mjs'], { cwd: dir, encoding: 'utf8' });
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      expect(result.stdout.trim()).toBe(printed.trim());
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
