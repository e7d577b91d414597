import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBundle, createRegistry, describeAutoload, ErrorCodes, encodeBundle, loadDeclaredPlugin } from '@modelbundle/core';
import { writeBundle } from '@modelbundle/core/node';
import { draft } from '@modelbundle/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectDir, runCli } from '../../packages/cli/test/helpers.js';
import { linearBundle } from '../../packages/serve/test/helpers.js';

/**
 * Autoload must run only the plugin the application installed, from the
 * exact folder whose package.json declared it: not a package planted in an
 * ancestor's node_modules (a world-writable temporary folder above the
 * application), and not a file the manifest points at outside its folder.
 */
let dir: string;
let marker: string;

/** A package that writes the marker file when imported, declaring itself a plugin. */
async function plant(folder: string, name: string, manifest: Record<string, unknown> = {}): Promise<void> {
  await mkdir(folder, { recursive: true });
  await writeFile(
    join(folder, 'index.mjs'),
    `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, ${JSON.stringify(folder)});\nexport const plugin = { name: 'planted', serializers: [] };\n`,
  );
  await writeFile(join(folder, 'package.json'), JSON.stringify({ name, version: '1.0.0', main: 'index.mjs', modelbundle: { plugin: 'plugin' }, ...manifest }));
}

function bundleNaming(pkg: string) {
  return createBundle(draft({ kind: 'planted.kind', serializer: { version: '1.0.0', package: pkg }, producer: { name: 'attacker', version: '1.0.0' } }));
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mb-planted-'));
  marker = join(dir, 'imported');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('autoload resolves only from the application folder and imports exactly the declared entry', () => {
  it('ignores a plugin planted in an ancestor folder node_modules (library and CLI)', async () => {
    await plant(join(dir, 'node_modules', 'planted-plugin'), 'planted-plugin');
    const app = join(dir, 'app');
    await mkdir(join(app, 'node_modules'), { recursive: true });
    const bytes = encodeBundle(await bundleNaming('planted-plugin'));
    await expect(createRegistry({ resolveFrom: app }).unbundle(bytes)).rejects.toMatchObject({ code: 'UNKNOWN_KIND' });
    expect(describeAutoload('planted-plugin', { from: app })).toMatchObject({ status: 'not-installed', from: app });
    await writeFile(join(app, 'planted.mbnd'), bytes);
    await writeFile(join(app, 'rows.json'), '[{}]');
    const result = await runCli(['predict', 'planted.mbnd', '--input', 'rows.json'], { cwd: app });
    expect(result.code).toBe(ErrorCodes.UNKNOWN_KIND.exit);
    expect(existsSync(marker)).toBe(false);
  });

  it('refuses an entry file outside the package folder, or reached through a symlink out of it', async () => {
    const app = join(dir, 'app2');
    await plant(join(dir, 'outside'), 'outside');
    await plant(join(app, 'node_modules', 'escape-main'), 'escape-main', { main: '../../../outside/index.mjs' });
    await plant(join(app, 'node_modules', 'escape-exports'), 'escape-exports', { exports: { '.': { import: '../../../outside/index.mjs' } } });
    await plant(join(app, 'node_modules', 'escape-link'), 'escape-link', { main: 'linked.mjs' });
    await symlink(join(dir, 'outside', 'index.mjs'), join(app, 'node_modules', 'escape-link', 'linked.mjs'));
    for (const name of ['escape-main', 'escape-exports', 'escape-link']) {
      expect(describeAutoload(name, { from: app })).toMatchObject({ status: 'bad-entry', reason: expect.stringMatching(/outside the package folder/) });
      await expect(loadDeclaredPlugin(name, { from: app })).rejects.toMatchObject({ code: 'UNKNOWN_KIND' });
    }
    expect(existsSync(marker)).toBe(false);
  });

  it('names the exact file it would import, and imports that one', async () => {
    const app = join(dir, 'app3');
    await plant(join(app, 'node_modules', 'honest-plugin'), 'honest-plugin');
    const plan = describeAutoload('honest-plugin', { from: app });
    expect(plan).toMatchObject({ status: 'load', entry: join(app, 'node_modules', 'honest-plugin', 'index.mjs'), exportName: 'plugin' });
    expect(await loadDeclaredPlugin('honest-plugin', { from: app })).toMatchObject({ name: 'planted' });
    expect(existsSync(marker)).toBe(true);
    await rm(marker);
  });
});

describe('the command line can turn autoload off and list what it would load', () => {
  let cwd: string;
  beforeAll(async () => {
    cwd = await projectDir(); // the example linear plugin is installed in ./node_modules
    await writeBundle(join(cwd, 'linear.mbnd'), await linearBundle());
    await writeFile(join(cwd, 'rows.json'), JSON.stringify([{ x1: 1, x2: 2, group: 'a' }]));
  });

  it('predict and serve --no-autoload refuse a plugin they would otherwise import', async () => {
    expect((await runCli(['predict', 'linear.mbnd', '--input', 'rows.json'], { cwd })).code).toBe(0);
    const off = await runCli(['predict', 'linear.mbnd', '--input', 'rows.json', '--no-autoload'], { cwd });
    expect(off.code).toBe(ErrorCodes.UNKNOWN_KIND.exit);
    expect(off.stderr).toContain('modelbundle-example-linear');
    const serve = await runCli(['serve', 'linear.mbnd', '--port', '0', '--no-autoload'], { cwd });
    expect(serve.code).toBe(ErrorCodes.UNKNOWN_KIND.exit);
  });

  it('plugins says which file would be imported, without importing it', async () => {
    const result = await runCli(['plugins', 'linear.mbnd', '--json'], { cwd });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      package: 'modelbundle-example-linear',
      status: 'load',
      entry: join(cwd, 'node_modules', 'modelbundle-example-linear', 'index.js'),
    });
    expect((await runCli(['plugins', 'linear.mbnd', '--no-autoload'], { cwd })).stdout).toContain('would not be loaded: autoload is off');
  });
});
