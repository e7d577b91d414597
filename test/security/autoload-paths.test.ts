import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBundle, createRegistry, encodeBundle, loadDeclaredPlugin } from '@modelbundle/core';
import { draft } from '@modelbundle/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Autoload imports a package named by the file. Even when a directory on
 * disk is dressed up as a plugin under a path-like name (as an upload folder
 * could be), a name that is a path or a URL is never resolved or imported.
 */
describe('autoload never imports a path or URL named by a bundle', () => {
  let dir: string;
  let marker: string;

  async function plantPlugin(folder: string, name: string): Promise<void> {
    await mkdir(folder, { recursive: true });
    await writeFile(
      join(folder, 'index.mjs'),
      `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, 'ran');\nexport const plugin = { name: 'evil', serializers: [] };\n`,
    );
    await writeFile(join(folder, 'package.json'), JSON.stringify({ name, version: '1.0.0', main: 'index.mjs', modelbundle: { plugin: 'plugin' } }));
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mb-autoload-'));
    marker = join(dir, 'imported');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('refuses an absolute path as the plugin package', async () => {
    const entry = join(dir, 'evil', 'index.mjs');
    await plantPlugin(join(dir, 'evil'), entry);
    const bundle = await createBundle(
      draft({ kind: 'evil.kind', serializer: { version: '1.0.0', package: entry }, producer: { name: 'attacker', version: '1.0.0' } }),
    );
    await expect(createRegistry({ autoload: true }).unbundle(encodeBundle(bundle))).rejects.toMatchObject({ code: 'UNKNOWN_KIND' });
    expect(existsSync(marker)).toBe(false);
  });

  it('refuses relative paths and URLs', async () => {
    const app = join(dir, 'app');
    await plantPlugin(join(app, 'up'), '../up');
    for (const name of ['../up', './up', 'data:text/javascript,export const plugin={}', `file://${join(app, 'up', 'index.mjs')}`, 'Evil/../x']) {
      expect(await loadDeclaredPlugin(name, { from: join(app, 'node_modules', 'x') })).toBeUndefined();
    }
    expect(existsSync(marker)).toBe(false);
  });
});
