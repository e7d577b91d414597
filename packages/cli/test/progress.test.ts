import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createBundle } from '@modelbundle/core';
import { writeBundle } from '@modelbundle/core/node';
import { draft } from '@modelbundle/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, projectDir, runCli } from './helpers.js';

const exec = promisify(execFile);
let cwd: string;

beforeAll(async () => {
  cwd = await projectDir();
  const blob = new Uint8Array(40 * 1024 * 1024).fill(7);
  await writeBundle(join(cwd, 'large.mbnd'), await createBundle(draft({ kind: 'example.large' }), [['blob', blob]]));
  expect((await runCli(['keygen', 'keys'], { cwd })).code).toBe(0);
});

const WIDTH = 3000;

/**
 * A TensorFlow.js model directory: Dense(3 → 3000), Dense(3000 → 3000: 36 MB
 * of weights), Dense(3000 → 1), every kernel constant and every bias zero,
 * so it predicts 3000 · 3000 · 1e-3 · 1e-3 · 0.1 = 0.9 times the sum of the inputs.
 */
async function writeWideModel(dir: string): Promise<void> {
  const dense = (name: string, units: number, extra = {}) => ({
    class_name: 'Dense',
    config: { name, units, activation: 'linear', use_bias: true, trainable: true, dtype: 'float32', ...extra },
  });
  const shapes: [string, number[], number][] = [
    ['wide_in/kernel', [3, WIDTH], 1e-3],
    ['wide_in/bias', [WIDTH], 0],
    ['wide/kernel', [WIDTH, WIDTH], 1e-3],
    ['wide/bias', [WIDTH], 0],
    ['out/kernel', [WIDTH, 1], 0.1],
    ['out/bias', [1], 0],
  ];
  const modelJson = {
    format: 'layers-model',
    modelTopology: {
      class_name: 'Sequential',
      config: { name: 'wide', layers: [dense('wide_in', WIDTH, { batch_input_shape: [null, 3] }), dense('wide', WIDTH), dense('out', 1)] },
    },
    weightsManifest: [{ paths: ['weights.bin'], weights: shapes.map(([name, shape]) => ({ name, shape, dtype: 'float32' })) }],
  };
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'model.json'), JSON.stringify(modelJson));
  const weights = shapes.map(([, shape, value]) => Buffer.from(new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(value).buffer));
  await writeFile(join(dir, 'weights.bin'), Buffer.concat(weights));
}

describe('progress bar for large reads and writes', () => {
  it('stays off when stderr is not a terminal', async () => {
    const result = await runCli(['verify', 'large.mbnd'], { cwd });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
  });

  // util-linux `script` runs the command on a pseudo-terminal, as a user's shell would.
  it.runIf(existsSync('/usr/bin/script'))('shows on a terminal, without colour blocks under NO_COLOR', async () => {
    const command = `node ${CLI} verify large.mbnd`;
    const colour = await exec('script', ['-qec', command, '/dev/null'], { cwd, env: { ...process.env, NO_COLOR: '' } });
    expect(colour.stdout).toContain('reading');
    expect(colour.stdout).toContain('of 40.0 MiB');
    expect(colour.stdout).toContain('\u2588');
    expect(colour.stdout).toContain('large.mbnd: intact');
    const plain = await exec('script', ['-qec', command, '/dev/null'], { cwd, env: { ...process.env, NO_COLOR: '1' } });
    expect(plain.stdout).toContain('of 40.0 MiB');
    expect(plain.stdout).not.toContain('\u2588');
    expect(plain.stdout).not.toContain(`${String.fromCharCode(27)}[32m`); // no green "ok" marks
  });

  it('predicts from a large signed model read section by section, with a bar on a terminal, and refuses an untrusted one before reading it', async () => {
    await writeWideModel(join(cwd, 'wide'));
    expect((await runCli(['import', 'wide/model.json', '-o', 'wide.mbnd'], { cwd })).code).toBe(0);
    expect((await runCli(['sign', 'wide.mbnd', '--key', 'keys/modelbundle.key'], { cwd })).code).toBe(0);
    await writeFile(join(cwd, 'wide-rows.json'), JSON.stringify([{ wide_in_input: [1, 2, 3] }, { wide_in_input: [-1, 0, 0.5] }]));
    const args = ['predict', 'wide.mbnd', '-i', 'wide-rows.json', '--json', '--public-key', 'keys/modelbundle.pub'];
    const piped = await runCli(args, { cwd });
    expect(piped.stderr).toBe('');
    const predictions = JSON.parse(piped.stdout).predictions as { out: number }[];
    expect(predictions.map((p) => p.out)).toEqual([expect.closeTo(5.4, 3), expect.closeTo(-0.45, 3)]);
    if (existsSync('/usr/bin/script')) {
      const tty = await exec('script', ['-qec', `node ${CLI} ${args.join(' ')}`, '/dev/null'], { cwd, env: { ...process.env, NO_COLOR: '1' } });
      expect(tty.stdout).toContain('reading');
      expect(tty.stdout).toContain('of 34.4 MiB');
      expect(tty.stdout).toContain('"predictions"');
    }
    expect((await runCli(['keygen', 'other'], { cwd })).code).toBe(0);
    const untrusted = [...args.slice(0, -1), 'other/modelbundle.pub'];
    const refused = await runCli(untrusted, { cwd });
    expect(refused.code).toBe(19);
    expect(JSON.parse(refused.stdout).error.details.reason).toBe('untrusted');
    if (existsSync('/usr/bin/script')) {
      const command = `node ${CLI} ${untrusted.join(' ')}`;
      // script -e exits with the command's code, so exec rejects with the output.
      const tty = await exec('script', ['-qec', command, '/dev/null'], { cwd, env: { ...process.env, NO_COLOR: '1' } }).catch(
        (e: { code: number; stdout: string }) => e,
      );
      expect('code' in tty && tty.code).toBe(19);
      expect(tty.stdout).toContain('SIGNATURE_INVALID');
      expect(tty.stdout).not.toContain('reading'); // refused on the header alone: no section was read
    }
  });

  it('stays off for a write when stderr is not a terminal', async () => {
    const result = await runCli(['sign', 'large.mbnd', '--key', 'keys/modelbundle.key', '-o', 'signed-pipe.mbnd'], { cwd });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
  });

  it.runIf(existsSync('/usr/bin/script'))('shows while sign -o writes a large bundle on a terminal', async () => {
    const command = `node ${CLI} sign large.mbnd --key keys/modelbundle.key -o signed-tty.mbnd`;
    const result = await exec('script', ['-qec', command, '/dev/null'], { cwd, env: { ...process.env, NO_COLOR: '1' } });
    expect(result.stdout).toContain('reading');
    expect(result.stdout).toContain('writing');
    expect(result.stdout).toContain('of 40.0 MiB');
    expect(result.stdout).toContain('Signed signed-tty.mbnd');
    expect((await runCli(['verify', 'signed-tty.mbnd', '--public-key', 'keys/modelbundle.pub'], { cwd })).code).toBe(0);
  });
});
