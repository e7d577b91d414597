import { encodeBundle, inspect } from '@modelbundle/core';
import { bundleToModel, ensureBackend, modelToBundle } from '@modelbundle/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { denseModel, values, weightBytes } from './models.js';

beforeAll(async () => {
  await ensureBackend();
});

function compiled(optimizer: () => tf.Optimizer = () => tf.train.adam(0.01)): tfl.Sequential {
  const model = denseModel();
  model.compile({ optimizer: optimizer(), loss: 'categoricalCrossentropy' });
  return model;
}

const optimizers: [string, () => tf.Optimizer][] = [
  ['adam', () => tf.train.adam(0.01)],
  ['sgd', () => tf.train.sgd(0.1)],
  ['momentum', () => tf.train.momentum(0.1, 0.9)],
  ['rmsprop', () => tf.train.rmsprop(0.01)],
  ['adagrad', () => tf.train.adagrad(0.1)],
];

const xs = () => tf.tensor2d(values(32, 3), [8, 4]);
const ys = () => tf.oneHot(tf.tensor1d([0, 1, 1, 0, 1, 0, 0, 1], 'int32'), 2);

describe('optimizer state', () => {
  it.each(optimizers)('%s: one more training step after reload gives the same weights as on the original', async (_name, optimizer) => {
    const model = compiled(optimizer);
    const [x, y] = [xs(), ys()];
    await model.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0, shuffle: false });
    const bytes = encodeBundle(await modelToBundle(model, { includeOptimizer: true }));
    expect(((await inspect(bytes)).header.summary as { optimizer: boolean }).optimizer).toBe(true);
    // Bytes as a Node Buffer, as fs.readFile gives them (Buffer#slice returns views, not copies).
    const restored = await bundleToModel(Buffer.from(bytes));
    await model.trainOnBatch(x, y);
    await restored.trainOnBatch(x, y);
    const a = weightBytes(model);
    const b = weightBytes(restored);
    for (const [i, w] of b.entries()) expect(w.equals(a[i] as Buffer), `weight ${i}`).toBe(true);
    tf.dispose([x, y]);
    model.dispose();
    restored.dispose();
  });

  it('without includeOptimizer, the optimizer restarts (so the next step differs) but the training config is kept', async () => {
    const model = compiled();
    const [x, y] = [xs(), ys()];
    await model.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0, shuffle: false });
    const bytes = encodeBundle(await modelToBundle(model));
    const restored = await bundleToModel(bytes);
    expect(restored.optimizer).toBeDefined();
    await model.trainOnBatch(x, y);
    await restored.trainOnBatch(x, y);
    const a = weightBytes(model);
    const b = weightBytes(restored);
    expect(b.some((w, i) => !w.equals(a[i] as Buffer))).toBe(true);
    tf.dispose([x, y]);
    model.dispose();
    restored.dispose();
  });
});
