import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { inspect } from '@modelbundle/core';
import { BACKEND_ENV, bundleToModel, currentBackend, ensureBackend, useBackend } from '@modelbundle/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
let dir: string;

/** Runs an ES module snippet in a fresh Node process, from the package folder so its imports resolve. */
async function node(code: string, env: Record<string, string> = {}): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--input-type=module', '-e', code], {
      cwd: packageDir,
      env: { ...process.env, [BACKEND_ENV]: '', ...env },
    });
    return { stdout, stderr, code: 0 };
  } catch (e) {
    const error = e as { stdout: string; stderr: string; code: number };
    return { stdout: error.stdout, stderr: error.stderr, code: error.code };
  }
}

const SAVE = (path: string) => `
  import { writeFile } from 'node:fs/promises';
  import * as tfl from '@tensorflow/tfjs-layers';
  import { encodeBundle } from '@modelbundle/core';
  import { ensureBackend, modelToBundle } from '@modelbundle/tfjs';
  const backend = await ensureBackend();
  const model = tfl.sequential({ layers: [tfl.layers.dense({ units: 3, inputShape: [2] })] });
  await writeFile(${JSON.stringify(path)}, encodeBundle(await modelToBundle(model)));
  console.log(JSON.stringify({ backend, weights: Array.from(model.getWeights()[0].dataSync()) }));
`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mbnd-tfjs-backend-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('backend choice', () => {
  it('uses wasm by default when @tensorflow/tfjs-node is not installed, with its .wasm found in node_modules', async () => {
    expect(await ensureBackend()).toBe('wasm');
    expect(currentBackend()).toBe('wasm');
    expect(await ensureBackend()).toBe('wasm'); // once: later calls give the same answer
  });

  it('is forced by the environment variable, and the header records it; the bundle loads on another backend', async () => {
    const path = join(dir, 'cpu.mbnd');
    const result = await node(SAVE(path), { [BACKEND_ENV]: 'cpu' });
    expect(result.code, result.stderr).toBe(0);
    const saved = JSON.parse(result.stdout.trim().split('\n').pop() as string) as { backend: string; weights: number[] };
    expect(saved.backend).toBe('cpu');
    const bytes = await readFile(path);
    expect(((await inspect(bytes)).header.summary as { backend: string }).backend).toBe('cpu');
    await ensureBackend();
    const model = await bundleToModel(bytes);
    expect(Array.from(model.getWeights()[0]?.dataSync() ?? [])).toEqual(saved.weights);
    model.dispose();
  });

  it('refuses a backend that cannot run here, with what to do', async () => {
    const missing = await node(
      `import { ensureBackend, modelToBundle } from '@modelbundle/tfjs'; await ensureBackend().catch((e) => { console.log(e.code + ': ' + e.message); });`,
      {
        [BACKEND_ENV]: 'tensorflow',
      },
    );
    expect(missing.stdout).toContain('INVALID_ARGUMENT');
    expect(missing.stdout).toContain('@tensorflow/tfjs-node is not installed');
    await expect(useBackend('no-such-backend')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('switches on request with useBackend, and an option overrides the environment', async () => {
    expect(await useBackend('cpu')).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(await ensureBackend({ backend: 'wasm' })).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
  });
});
