import { execFileSync } from 'node:child_process';
import { appendFile, mkdir, mkdtemp, readdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeBundle, ModelBundleError } from '@modelbundle/core';
import { bundleToModel, ensureBackend, modelToBundle } from '@modelbundle/tfjs';
import { exportTfjs, importTfjs } from '@modelbundle/tfjs/node';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { weightBytes } from './models.js';

/**
 * `import` reads the shards a model.json lists. A shard that is a link out
 * of the model directory (or sits in a linked folder) would pull any
 * readable file into the bundle; a FIFO would never end; bytes past what the
 * manifest needs were silently dropped.
 */
let root: string;
let model: tfl.LayersModel;
let bytes: Uint8Array;

beforeAll(async () => {
  await ensureBackend();
  root = await mkdtemp(join(tmpdir(), 'mbnd-import-paths-'));
  model = tfl.sequential({ layers: [tfl.layers.dense({ units: 2, inputShape: [3] })] });
  bytes = encodeBundle(await modelToBundle(model));
  await writeFile(join(root, 'secret.bin'), new Uint8Array(32).fill(7)); // as long as the weights: 6 + 2 floats
});
afterAll(async () => {
  model.dispose();
  await rm(root, { recursive: true, force: true });
});

/** A fresh tfjs model directory (one shard), and its shard's name. */
async function exported(name: string): Promise<{ dir: string; shard: string }> {
  const dir = join(root, name);
  await exportTfjs(bytes, dir);
  const shard = (await readdir(dir)).find((f) => f.endsWith('.bin')) as string;
  return { dir, shard };
}

async function refusal(path: string): Promise<ModelBundleError> {
  const error = await importTfjs(path).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ModelBundleError);
  return error as ModelBundleError;
}

describe('import reads only regular files inside the model directory, and all of them', () => {
  it('still imports an honest directory bit-exactly', async () => {
    const { dir } = await exported('honest');
    const restored = await bundleToModel(await importTfjs(dir));
    expect(weightBytes(restored)).toEqual(weightBytes(model));
    restored.dispose();
  });

  it('refuses a shard that is a symlink to a file outside', async () => {
    const { dir, shard } = await exported('link');
    await rm(join(dir, shard));
    await symlink(join(root, 'secret.bin'), join(dir, shard));
    const error = await refusal(dir);
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toMatch(/resolves to .*secret\.bin, outside the model directory/);
  });

  it('refuses a shard in a symlinked folder', async () => {
    const { dir, shard } = await exported('folder');
    await mkdir(join(root, 'elsewhere'), { recursive: true });
    await rename(join(dir, shard), join(root, 'elsewhere', shard));
    await symlink(join(root, 'elsewhere'), join(dir, 'sub'));
    const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
    json.weightsManifest[0].paths = [`sub/${shard}`];
    await writeFile(join(dir, 'model.json'), JSON.stringify(json));
    expect((await refusal(dir)).message).toMatch(/outside the model directory/);
  });

  it('refuses a shard that is not a regular file (a FIFO would block forever)', async () => {
    const { dir, shard } = await exported('fifo');
    await rm(join(dir, shard));
    execFileSync('mkfifo', [join(dir, shard)]);
    const error = await refusal(dir);
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toMatch(/is not a regular file/);
  }, 10_000);

  it('refuses shards holding more bytes than the manifest weights take', async () => {
    const { dir, shard } = await exported('long');
    await appendFile(join(dir, shard), new Uint8Array(4));
    const error = await refusal(dir);
    expect(error.code).toBe('MALFORMED');
    expect(error.message).toMatch(/hold 36 bytes, but the weights they list take 32/);
  });
});
