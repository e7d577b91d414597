import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ErrorCodes } from '@modelbundle/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { projectDir, runCli, startProcess } from './helpers.js';

const exec = promisify(execFile);

const KERAS = new URL('../../../test/fixtures/keras/', import.meta.url).pathname;
// A Keras Sequential's input takes the tfjs name "<first layer>_input".
const ROWS = '[{"hidden_input": [1, -1, 0.5, 2]}, {"hidden_input": [0, 0, 0, 0]}]';
let cwd: string;

beforeAll(async () => {
  cwd = await projectDir();
});

const cli = (...args: string[]) => runCli(args, { cwd });

describe('modelbundle import (Keras files, told apart by their bytes)', () => {
  it('imports a .keras zip and an HDF5 file named .keras to bundles that predict alike', async () => {
    const zip = await cli('import', join(KERAS, 'mlp.keras'), '-o', 'zip.mbnd', '--json');
    expect(zip.code).toBe(0);
    expect(JSON.parse(zip.stdout)).toMatchObject({ kind: 'tfjs.sequential', keras: { format: 'keras', kerasVersion: '3.5.0' } });
    const h5 = await cli('import', join(KERAS, 'mlp.h5-named.keras'), '-o', 'h5.mbnd');
    expect(h5.code).toBe(0);
    expect(h5.stdout).toContain('from a h5 file written by Keras 2.15.0');
    const predict = async (file: string) => (await runCli(['predict', file, '-i', '-', '--json'], { cwd, input: ROWS })).stdout;
    const fromZip = JSON.parse(await predict('zip.mbnd')).predictions as { scores: number[] }[];
    expect(fromZip.map((p) => p.scores.length)).toEqual([3, 3]);
    expect(fromZip.map((p) => p.scores.reduce((a, b) => a + b, 0))).toEqual([expect.closeTo(1, 5), expect.closeTo(1, 5)]);
    // The Keras 2 file holds the same numbers (the fixture writer seeds both alike).
    expect(JSON.parse(await predict('h5.mbnd')).predictions).toEqual(fromZip);
  });

  it('predicts with a bundle that needs the Keras classes (KerasGRU): the command line registers them', async () => {
    expect((await cli('import', join(KERAS, 'rnn.keras'), '-o', 'rnn.mbnd')).code).toBe(0);
    const row = { simple_input: Array.from({ length: 6 }, (_, t) => [t / 6, -t / 6, 0.5]) };
    const result = await runCli(['predict', 'rnn.mbnd', '-i', '-', '--json'], { cwd, input: JSON.stringify([row]) });
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout).predictions[0].y).toHaveLength(2);
  });

  it('exits 13 (MALFORMED) for a Git LFS pointer, saying to fetch the real file', async () => {
    await writeFile(join(cwd, 'pointer.keras'), 'version https://git-lfs.github.com/spec/v1\noid sha256:0\nsize 1\n');
    const result = await cli('import', 'pointer.keras', '-o', 'x.mbnd');
    expect(result.code).toBe(ErrorCodes.MALFORMED.exit);
    expect(result.stderr).toContain('git lfs pull');
    await expect(readFile(join(cwd, 'x.mbnd'))).rejects.toThrow();
  });
});

describe('modelbundle docker for a model imported from Keras', () => {
  it('installs @modelbundle/keras and registers its classes, so a plain npm install serves a KerasGRU model as predict does here', async () => {
    expect((await cli('import', join(KERAS, 'rnn.keras'), '-o', 'gru.mbnd')).code).toBe(0);
    const docker = await cli('docker', 'gru.mbnd', 'gru-deploy', '--json');
    expect(docker.code, docker.stderr).toBe(0);
    expect(JSON.parse(docker.stdout).dependencies).toHaveProperty('@modelbundle/keras', '0.1.0');
    const deploy = join(cwd, 'gru-deploy');
    const entry = await readFile(join(deploy, 'server.mjs'), 'utf8');
    expect(entry).toContain("import { registerKerasLayers } from '@modelbundle/keras';\n\nregisterKerasLayers();");
    await exec('npm', ['install', '--omit=dev', '--no-audit', '--no-fund'], { cwd: deploy, timeout: 240_000 });

    const rows = JSON.stringify([{ simple_input: Array.from({ length: 6 }, (_, t) => [t / 6, -t / 6, 0.5]) }]);
    const local = JSON.parse((await runCli(['predict', 'gru.mbnd', '-i', '-', '--json'], { cwd, input: rows })).stdout);
    const server = startProcess(join(deploy, 'server.mjs'), [], { cwd: deploy, env: { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn' } });
    try {
      const [, url] = await server.waitFor(/listening on (http:\S+)/);
      const res = await fetch(`${url}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: rows });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ predictions: local.predictions });
    } finally {
      server.child.kill('SIGTERM');
    }
    expect(await server.exited).toBe(0);
  }, 300_000);
});
