import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeBundle } from '@modelbundle/core/node';
import { expectCode } from '@modelbundle/testing';
import { modelToBundle, useBackend } from '@modelbundle/tfjs';
import { loadModel, saveModel } from '@modelbundle/tfjs/node';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { values, weightBytes } from './models.js';

/** Small weights that share a section, a kernel of 18 MiB (three write batches) and an optimizer. */
function wideModel(): tfl.Sequential {
  const model = tfl.sequential({
    layers: [tfl.layers.dense({ units: 1024, inputShape: [4], activation: 'relu' }), tfl.layers.dense({ units: 4608 }), tfl.layers.dense({ units: 3 })],
  });
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' });
  return model;
}

const created = '2026-01-01T00:00:00.000Z';
const sameWeights = (a: tfl.LayersModel, b: tfl.LayersModel) => {
  const [x, y] = [weightBytes(a), weightBytes(b)];
  return x.length === y.length && x.every((w, i) => w.equals(y[i] as Buffer));
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mb-save-model-'));
});
afterAll(async () => {
  await useBackend('wasm');
  await rm(dir, { recursive: true, force: true });
});

describe('saveModel', () => {
  it('writes the same file as writeBundle(path, await modelToBundle(model)), on wasm and on cpu', async () => {
    for (const backend of ['wasm', 'cpu']) {
      await useBackend(backend);
      const model = wideModel();
      const [x, y] = [tf.tensor2d(values(8, 3), [2, 4]), tf.tensor2d(values(6, 4), [2, 3])];
      await model.fit(x, y, { epochs: 1, verbose: 0 });
      const [saved, whole] = [join(dir, `saved-${backend}.mbnd`), join(dir, `whole-${backend}.mbnd`)];
      const progress: number[] = [];
      await saveModel(saved, model, { includeOptimizer: true, created, onProgress: (written) => progress.push(written) });
      await writeBundle(whole, await modelToBundle(model, { includeOptimizer: true, created }));
      const bytes = await readFile(saved);
      expect(bytes.equals(await readFile(whole))).toBe(true);
      expect(progress.at(-1)).toBe(bytes.byteLength);
      const loaded = await loadModel(saved);
      expect(sameWeights(loaded, model)).toBe(true);
      tf.dispose([x, y]);
      loaded.dispose();
      model.dispose();
    }
  });

  it('on wasm reads a large weight only when it is written (deferWeights); on cpu the bundle holds it as it was', async () => {
    const kernel = (model: tfl.LayersModel) => {
      const [weights] = (model.layers[1] as tfl.layers.Layer).getWeights();
      return Buffer.from((weights as tf.Tensor).dataSync().buffer);
    };
    for (const backend of ['wasm', 'cpu']) {
      await useBackend(backend);
      const model = wideModel();
      const original = Buffer.from(kernel(model)); // a copy
      const bundle = await modelToBundle(model, { deferWeights: true });
      const changed = model.getWeights().map((w) => tf.onesLike(w));
      model.setWeights(changed);
      const path = join(dir, `deferred-${backend}.mbnd`);
      await writeBundle(path, bundle);
      const loaded = await loadModel(path);
      // The 18 MiB kernel (1024 x 4608): smaller weights share sections, packed when the bundle is made.
      expect(kernel(loaded).equals(backend === 'wasm' ? kernel(model) : original), backend).toBe(true);
      expect(original.equals(kernel(model))).toBe(false);
      tf.dispose(changed);
      loaded.dispose();
      model.dispose();
    }
  });

  it('fails with INVALID_ARGUMENT, leaving the old file and no temp file, when the model is disposed before its deferred weights are written', async () => {
    await useBackend('wasm');
    const path = join(dir, 'disposed', 'm.mbnd');
    await import('node:fs/promises').then((fs) => fs.mkdir(join(dir, 'disposed')));
    const old = wideModel();
    await saveModel(path, old);
    const before = await readFile(path);
    old.dispose();
    const model = wideModel();
    const bundle = await modelToBundle(model, { deferWeights: true });
    model.dispose();
    const error = await expectCode(() => writeBundle(path, bundle), 'INVALID_ARGUMENT');
    expect(error.message).toMatch(/could not be read while its section was written.*keep the model/);
    expect((await readFile(path)).equals(before)).toBe(true);
    expect(await readdir(join(dir, 'disposed'))).toEqual(['m.mbnd']);
  });
});
