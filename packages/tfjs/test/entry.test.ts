import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRegistry } from '@modelbundle/core';
import { TFJS_PLUGIN_VERSION, tfjsPlugin } from '@modelbundle/tfjs';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith('.ts')).map((e) => join(e.parentPath, e.name));
}

describe('package entry points', () => {
  it('keeps node: imports out of the main entry (only src/node/ may use them)', async () => {
    for (const file of await sourceFiles(join(packageDir, 'src'))) {
      if (file.includes(`${join('src', 'node')}`)) continue;
      expect(await readFile(file, 'utf8'), file).not.toMatch(/from ['"]node:|import\(['"]node:|require\(['"]node:/);
    }
  });

  it('bundles for the browser without Node built-ins', async () => {
    const result = await build({
      entryPoints: [join(packageDir, 'dist/index.js')],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      logLevel: 'silent',
    });
    expect(result.errors).toEqual([]);
    expect(result.outputFiles[0]?.text).not.toMatch(/from ['"]node:|require\(['"]node:/);
  });

  it('declares its plugin in package.json, and registers nothing on import', async () => {
    const manifest = JSON.parse(await readFile(join(packageDir, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest.modelbundle).toEqual({ plugin: 'tfjsPlugin' });
    expect(manifest.version).toBe(TFJS_PLUGIN_VERSION);
    expect((manifest.peerDependenciesMeta as Record<string, unknown>)['@tensorflow/tfjs-node']).toEqual({ optional: true });
    expect(Object.keys(manifest.dependencies as object)).not.toContain('@tensorflow/tfjs-node');
    // Listed in peerDependencies, pnpm would install it in this workspace (it installs a project's own peers).
    expect(manifest.peerDependencies).toBeUndefined();
    expect(tfjsPlugin.serializers.map((s) => [s.kind, s.package, s.pluginExport])).toEqual([
      ['tfjs.sequential', '@modelbundle/tfjs', 'tfjsPlugin'],
      ['tfjs.functional', '@modelbundle/tfjs', 'tfjsPlugin'],
    ]);
    expect(createRegistry().list()).toEqual([]);
  });
});
