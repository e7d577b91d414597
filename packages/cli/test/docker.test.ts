import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { writeBundle } from '@modelbundle/core/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LINEAR_PLUGIN_DIR, linearBundle } from '../../serve/test/helpers.js';
import { projectDir, type RunningCli, runCli, startProcess } from './helpers.js';

const exec = promisify(execFile);
const PACKAGES = new URL('../../', import.meta.url).pathname;

let cwd: string;
let server: RunningCli | undefined;

beforeAll(async () => {
  cwd = await projectDir();
  await writeBundle(join(cwd, 'linear.mbnd'), await linearBundle());
});
afterAll(() => {
  if (server?.child.exitCode === null) server.child.kill('SIGKILL');
});

describe('modelbundle docker', () => {
  it('writes a Dockerfile, a package.json pinning exactly what the bundle requires, the entry point and the bundle', async () => {
    const result = await runCli(['docker', 'linear.mbnd', 'deploy', '--plugin', 'modelbundle-example-linear', '--json'], { cwd });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      dir: 'deploy',
      files: ['package.json', 'server.mjs', 'Dockerfile', '.dockerignore', 'model.mbnd'],
      dependencies: { '@modelbundle/core': '0.1.0', '@modelbundle/serve': '0.1.0', 'modelbundle-example-linear': '1.0.0' },
    });
    const dockerfile = await readFile(join(cwd, 'deploy', 'Dockerfile'), 'utf8');
    expect(dockerfile).toContain('RUN npm install --omit=dev');
    expect(dockerfile).toContain('CMD ["node", "server.mjs"]');
    expect(dockerfile).toContain('EXPOSE 8080');
    expect(await readFile(join(cwd, 'deploy', 'model.mbnd'))).toEqual(await readFile(join(cwd, 'linear.mbnd')));
  });

  it('installs from the npm registry and serves the bundle with plain node', async () => {
    const deploy = join(cwd, 'deploy');
    // The @modelbundle packages and the example plugin are not on the registry: install them from local tarballs.
    const packs = join(cwd, 'packs');
    await mkdir(packs);
    for (const pkg of ['core', 'serve']) await exec('npx', ['-y', 'pnpm@10', 'pack', '--pack-destination', packs], { cwd: join(PACKAGES, pkg) });
    await exec('npm', ['pack', '--pack-destination', packs], { cwd: LINEAR_PLUGIN_DIR });
    const tarballs: Record<string, string> = {
      '@modelbundle/core': `file:${join(packs, 'modelbundle-core-0.1.0.tgz')}`,
      '@modelbundle/serve': `file:${join(packs, 'modelbundle-serve-0.1.0.tgz')}`,
      'modelbundle-example-linear': `file:${join(packs, 'modelbundle-example-linear-1.0.0.tgz')}`,
    };
    const manifest = JSON.parse(await readFile(join(deploy, 'package.json'), 'utf8'));
    for (const name of Object.keys(manifest.dependencies)) manifest.dependencies[name] = tarballs[name];
    manifest.overrides = { '@modelbundle/core': tarballs['@modelbundle/core'] };
    await writeFile(join(deploy, 'package.json'), JSON.stringify(manifest, null, 2));
    await exec('npm', ['install', '--omit=dev', '--no-audit', '--no-fund'], { cwd: deploy, timeout: 240_000 });

    server = startProcess(join(deploy, 'server.mjs'), [], { cwd: deploy, env: { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn' } });
    const [, url] = await server.waitFor(/listening on (http:\S+)/);
    const res = await fetch(`${url}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[{"x1": 1, "x2": 2, "group": "b"}]' });
    expect(await res.json()).toEqual({ predictions: [{ '.pred': 10.5 }] });
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  }, 300_000);
});
