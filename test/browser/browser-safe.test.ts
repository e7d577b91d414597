import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildPage } from './support/build-page.js';

// The main entries of @modelbundle/core and @modelbundle/tfjs must bundle for
// a browser: no Node built-in may be imported outside their src/node/ folders.

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PACKAGES = ['core', 'tfjs'];
/**
 * A `node:` specifier in a static import or export, a dynamic `import()` or a
 * `require()`; type-only forms (`import type`, `typeof import(...)`) are
 * erased by the compiler and allowed.
 */
const NODE_IMPORT =
  /(?:^\s*(?:import|export)\s+(?!type\s)[^;]*?\bfrom\s*|^\s*import\s*|(?<!typeof\s*)\bimport\s*\(\s*|\brequire\s*\(\s*)['"](node:[^'"]+)['"]/gm;

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith('.ts')).map((e) => join(e.parentPath, e.name));
}

describe('browser-safe main entries', () => {
  it('import no node: built-in outside src/node/ (static check of the sources)', async () => {
    const offenders: string[] = [];
    for (const pkg of PACKAGES) {
      const src = join(ROOT, 'packages', pkg, 'src');
      for (const file of await sourceFiles(src)) {
        if (relative(src, file).startsWith('node/')) continue;
        const text = await readFile(file, 'utf8');
        for (const match of text.matchAll(NODE_IMPORT)) {
          offenders.push(`${relative(ROOT, file)}: ${match[1]}`);
        }
      }
    }
    expect(offenders).toEqual([]);
  });

  it('bundle with esbuild for the browser, without the /node entries', async () => {
    const { files, metafile } = await buildPage([
      {
        name: 'entry',
        source: `import * as core from '@modelbundle/core';
          import * as tfjs from '@modelbundle/tfjs';
          export const loaded = [core.unbundle, core.inspectUrl, core.verifySignature, tfjs.tfjsPlugin, tfjs.useBackend];`,
      },
    ]);
    const inputs = Object.keys(metafile.inputs);
    expect(inputs.some((p) => p.includes('packages/core/dist/index.js'))).toBe(true);
    expect(inputs.some((p) => p.includes('packages/tfjs/dist/index.js'))).toBe(true);
    expect(inputs.filter((p) => /packages\/(core|tfjs)\/dist\/node\//.test(p))).toEqual([]);
    const imports = Object.values(metafile.outputs).flatMap((o) => o.imports.filter((i) => i.external).map((i) => i.path));
    expect(imports).toEqual([]);
    const code = new TextDecoder().decode(files['/entry.js']?.body);
    expect(code).not.toMatch(/(?:from\s*|import\s*\(\s*|require\s*\(\s*)["']node:/);
  });

  it('would fail on a node: import: the /node entry does not bundle for the browser', async () => {
    const error = await buildPage([{ name: 'entry', source: `export * from '@modelbundle/core/node';` }]).then(
      () => undefined,
      (e: { errors?: { text: string }[] }) => e,
    );
    expect(error?.errors?.map((e) => e.text).join('\n')).toMatch(/Could not resolve "node:/);
  });
});
