import { encodeBundle } from '@modelbundle/core';
import { bundleToModel, ensureBackend, isUsable, modelToBundle } from '@modelbundle/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { denseModel } from './models.js';

beforeAll(async () => {
  await ensureBackend();
});

describe('lifecycle', () => {
  it('leaves no tensor behind after 100 bundle/unbundle/dispose cycles', async () => {
    const model = tfl.sequential({ layers: [tfl.layers.dense({ units: 2, inputShape: [3] })] });
    model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    // One warm-up cycle: tfjs keeps a few lazily created tensors (e.g. the optimizer's) for the process's life.
    (await bundleToModel(encodeBundle(await modelToBundle(model, { includeOptimizer: true })))).dispose();
    const baseline = tf.memory().numTensors;
    for (let i = 0; i < 100; i++) {
      const restored = await bundleToModel(encodeBundle(await modelToBundle(model, { includeOptimizer: i % 2 === 0 })));
      restored.dispose();
    }
    expect(tf.memory().numTensors).toBe(baseline);
    model.dispose();
  });

  it('tells a live model from a disposed one without throwing', async () => {
    const model = denseModel();
    expect(isUsable(model)).toBe(true);
    const restored = await bundleToModel(encodeBundle(await modelToBundle(model)));
    expect(isUsable(restored)).toBe(true);
    model.dispose();
    expect(isUsable(model)).toBe(false);
    expect(isUsable(restored)).toBe(true);
    restored.dispose();
    expect(isUsable(restored)).toBe(false);
    for (const other of [null, undefined, 1, 'model', {}, { predict: 1 }, tf.scalar(1)]) expect(isUsable(other)).toBe(false);
  });
});
