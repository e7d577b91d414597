import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createBundle, ErrorCodes } from '@modelbundle/core';
import { writeBundle } from '@modelbundle/core/node';
import { draft } from '@modelbundle/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { createLinearModel } from '../../serve/test/fixtures/linear-plugin/index.js';
import { linearRegistry } from '../../serve/test/helpers.js';
import { parsePluginOption } from '../src/commands/docker-deps.js';
import { DENSE_TFJS_DIR, projectDir, runCli } from './helpers.js';

/**
 * A bundle's header is the bundle author's word: `modelbundle docker` must
 * not install what it names. Only the allow-list and the operator's --plugin
 * reach the generated package.json, and the generated server registers its
 * plugins explicitly with autoload off.
 */
let cwd: string;
const cli = (...args: string[]) => runCli(args, { cwd });

beforeAll(async () => {
  cwd = await projectDir();
  // A linear bundle whose header also requires a package of the attacker's choosing.
  const honest = await linearRegistry().bundle(createLinearModel());
  const hostile = await createBundle({ ...honest.header, requires: { ...honest.header.requires, 'evil-postinstall': '*', '@evil/x': '>=0' } }, honest.sections);
  await writeBundle(join(cwd, 'hostile.mbnd'), hostile);
  expect((await cli('import', DENSE_TFJS_DIR, '-o', 'tfjs.mbnd')).code).toBe(0);
});

describe('modelbundle docker installs only what the operator allows', () => {
  it('refuses a bundle whose plugin it does not ship unless --plugin names it', async () => {
    const result = await cli('docker', 'hostile.mbnd', 'refused');
    expect(result.code).toBe(ErrorCodes.INVALID_ARGUMENT.exit);
    expect(result.stderr).toContain('--plugin modelbundle-example-linear');
  });

  it('leaves out requirements that are not on the allow-list, and registers the named plugin explicitly with autoload off', async () => {
    const result = await cli('docker', 'hostile.mbnd', 'deploy', '--plugin', 'modelbundle-example-linear', '--json');
    expect(result.code, result.stderr).toBe(0);
    const { dependencies, vendored } = JSON.parse(result.stdout);
    expect(Object.keys(dependencies).sort()).toEqual(['@modelbundle/core', '@modelbundle/serve', 'modelbundle-example-linear']);
    expect(result.stderr).toContain('evil-postinstall');
    const manifest = JSON.parse(await readFile(join(cwd, 'deploy', 'package.json'), 'utf8'));
    // The packages npm cannot fetch yet come packed in vendor/ (file: specs); the rest as pinned.
    expect(manifest.dependencies).toEqual({ ...dependencies, ...vendored });
    const server = await readFile(join(cwd, 'deploy', 'server.mjs'), 'utf8');
    expect(server).toContain("import { linearPlugin as plugin0 } from 'modelbundle-example-linear';");
    expect(server).toContain("createRegistry({ requirements: 'strict', autoload: false }).registerPlugin(plugin0)");
  });

  it('validates --plugin as an npm name with a plain version', async () => {
    for (const spec of ['../evil', 'evil@file:../x', 'evil@git+https://example.invalid/x.git', 'Evil', "x'; process.exit(1); '", 'evil@github:a/b']) {
      expect(() => parsePluginOption(spec), spec).toThrow(/is not an npm package name/);
    }
    expect(parsePluginOption('@scope/plugin@^1.2.0')).toEqual({ name: '@scope/plugin', version: '^1.2.0' });
    const result = await cli('docker', 'hostile.mbnd', 'bad', '--plugin', 'evil@file:../x');
    expect(result.code).toBe(ErrorCodes.INVALID_ARGUMENT.exit);
    expect(result.stderr).toContain('is not an npm package name');
  });

  it('a header naming "__proto__" as its package is an unknown plugin, not a crash (predict) and not shipped (docker)', async () => {
    const proto = await createBundle(
      draft({ kind: 'proto.kind', serializer: { version: '1.0.0', package: '__proto__' }, producer: { name: 'attacker', version: '1.0.0' } }),
    );
    await writeBundle(join(cwd, 'proto.mbnd'), proto);
    await writeFile(join(cwd, 'rows.json'), '[{}]');
    expect((await cli('predict', 'proto.mbnd', '--input', 'rows.json')).code).toBe(ErrorCodes.UNKNOWN_KIND.exit);
    expect((await cli('docker', 'proto.mbnd', 'proto-deploy')).code).toBe(ErrorCodes.INVALID_ARGUMENT.exit);
  });

  it('a tfjs bundle gets the shipped plugin, imported by name', async () => {
    const result = await cli('docker', 'tfjs.mbnd', 'tfjs-deploy', '--json');
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).dependencies).toHaveProperty('@modelbundle/tfjs');
    const server = await readFile(join(cwd, 'tfjs-deploy', 'server.mjs'), 'utf8');
    expect(server).toContain("import { tfjsPlugin as plugin0 } from '@modelbundle/tfjs';");
  });
});
