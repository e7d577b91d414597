import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { writeBundle } from '@modelbundle/core/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linearBundle } from '../../serve/test/helpers.js';
import { projectDir, type RunningCli, runCli, startProcess } from './helpers.js';

const exec = promisify(execFile);

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
    const report = JSON.parse(result.stdout);
    expect(report.dependencies).toEqual({ '@modelbundle/core': '0.1.0', '@modelbundle/serve': '0.1.0', 'modelbundle-example-linear': '1.0.0' });
    expect(report.files.slice(0, 5)).toEqual(['package.json', 'server.mjs', 'Dockerfile', '.dockerignore', 'model.mbnd']);
    expect(report.vendored).toMatchObject({
      '@modelbundle/core': 'file:vendor/modelbundle-core-0.1.0.tgz',
      '@modelbundle/serve': 'file:vendor/modelbundle-serve-0.1.0.tgz',
    });
    const dockerfile = await readFile(join(cwd, 'deploy', 'Dockerfile'), 'utf8');
    expect(dockerfile).toContain('COPY vendor ./vendor\nRUN npm install --omit=dev');
    expect(dockerfile).toContain('CMD ["node", "server.mjs"]');
    expect(dockerfile).toContain('EXPOSE 8080');
    expect(await readFile(join(cwd, 'deploy', 'model.mbnd'))).toEqual(await readFile(join(cwd, 'linear.mbnd')));
  });

  it('refuses a folder that already holds files unless --force is given', async () => {
    await mkdir(join(cwd, 'busy'));
    await writeFile(join(cwd, 'busy', 'notes.txt'), 'mine');
    const refused = await runCli(['docker', 'linear.mbnd', 'busy'], { cwd });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('The folder "busy" is not empty (1 entry, e.g. notes.txt); nothing was written');
    await expect(readFile(join(cwd, 'busy', 'Dockerfile'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await runCli(['docker', 'linear.mbnd', 'busy', '--force', '--plugin', 'modelbundle-example-linear'], { cwd })).code).toBe(0);
    expect(await readFile(join(cwd, 'busy', 'notes.txt'), 'utf8')).toBe('mine');
    await readFile(join(cwd, 'busy', 'Dockerfile'));
  });

  it('installs with plain npm (the @modelbundle packages and the plugin come packed in vendor/) and serves the bundle', async () => {
    const deploy = join(cwd, 'deploy');
    const manifest = JSON.parse(await readFile(join(deploy, 'package.json'), 'utf8'));
    expect(manifest.dependencies['@modelbundle/core']).toBe('file:vendor/modelbundle-core-0.1.0.tgz');
    expect(manifest.overrides['@modelbundle/core']).toBe('file:vendor/modelbundle-core-0.1.0.tgz');
    await exec('npm', ['install', '--omit=dev', '--no-audit', '--no-fund'], { cwd: deploy, timeout: 240_000 });

    server = startProcess(join(deploy, 'server.mjs'), [], { cwd: deploy, env: { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn' } });
    const [, url] = await server.waitFor(/listening on (http:\S+)/);
    const res = await fetch(`${url}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[{"x1": 1, "x2": 2, "group": "b"}]' });
    expect(await res.json()).toEqual({ predictions: [{ '.pred': 10.5 }] });
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  }, 300_000);
});
