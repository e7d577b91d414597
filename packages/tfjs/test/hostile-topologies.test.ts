import { encodeBundle, ModelBundleError } from '@modelbundle/core';
import { bundleToModel, ensureBackend, MAX_ROW_ELEMENTS, modelToBundle, REQUEST_ELEMENTS_ENV, tfjsPredictor } from '@modelbundle/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { installAllocationGuard, measureAllocation } from '../../../test/fuzz/alloc-guard.js';
import { chain, forgedTopologyBundle, HOSTILE_TOPOLOGIES, layerOf } from '../../../test/security/support/hostile-topologies.js';
import { nestedModel, RECURRENT_INIT } from './models.js';

beforeAll(async () => {
  installAllocationGuard();
  await ensureBackend();
});

describe('hostile topologies (graphs, stateful states, weightless growth)', () => {
  it.each(HOSTILE_TOPOLOGIES.map((c) => [c.id, c] as const))('%s is refused before tfjs allocates', async (_id, hostile) => {
    const bytes = await forgedTopologyBundle(hostile.model(), hostile.edit);
    const tensors = tf.memory().numTensors;
    const started = performance.now();
    const { largest, result } = await measureAllocation(() => bundleToModel(bytes));
    const took = performance.now() - started;
    expect(result.status, hostile.how).toBe('rejected');
    const error = (result as PromiseRejectedResult).reason as ModelBundleError;
    expect(error, String(error)).toBeInstanceOf(ModelBundleError);
    expect(error.code, error.message).toBe(hostile.code);
    expect(error.message.length).toBeLessThan(1000);
    expect(largest).toBeLessThan(64 * 1024);
    // Generous for a shared CI machine; the measured times are in docs/SECURITY.md.
    expect(took).toBeLessThan(2000);
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it('names the layer a cycle waits on', async () => {
    const hostile = HOSTILE_TOPOLOGIES.find((c) => c.id === 'graph-cycle');
    const error = (await bundleToModel(await forgedTopologyBundle(chain(), hostile?.edit ?? (() => {}))).catch((e: unknown) => e)) as ModelBundleError;
    expect(error.message).toMatch(/layer graph of model "chain" cannot be built: layer "a" is called on node 0 of layer "b", which never comes to exist/);
  });

  it('still restores honest graphs: shared layers, nested models, a model called twice', async () => {
    const fi = tfl.input({ shape: [3], name: 'fi' });
    const inner = tfl.model({ inputs: fi, outputs: tfl.layers.dense({ units: 3, name: 'fd' }).apply(fi) as tfl.SymbolicTensor, name: 'func' });
    const x = tfl.input({ shape: [3], name: 'x' });
    const twice = tfl.model({ inputs: x, outputs: inner.apply(inner.apply(x)) as tfl.SymbolicTensor, name: 'twice' });
    for (const model of [twice, nestedModel(), chain()]) {
      const restored = await bundleToModel(encodeBundle(await modelToBundle(model)));
      expect(restored.layers.map((l: tfl.layers.Layer) => l.name)).toEqual(model.layers.map((l: tfl.layers.Layer) => l.name));
      restored.dispose();
      model.dispose();
    }
  });

  it('refuses a graph whose layers are out of build order past the sweep limit, and accepts reversed small ones', async () => {
    // tfjs needs one sweep per layer when layers are listed in reverse order: 3 layers are fine.
    const bytes = await forgedTopologyBundle(chain(), (t) => {
      t.config.layers.reverse();
    });
    const restored = await bundleToModel(bytes);
    expect(restored.layers).toHaveLength(3);
    restored.dispose();
    // 100 layers in reverse order would need 100 sweeps (tfjs's loop is quadratic in that case).
    const x = tfl.input({ shape: [2], name: 'x' });
    let y = x;
    for (let i = 0; i < 100; i++) y = tfl.layers.activation({ activation: 'linear', name: `act${i}` }).apply(y) as tfl.SymbolicTensor;
    const long = await forgedTopologyBundle(tfl.model({ inputs: x, outputs: y }), (t) => {
      t.config.layers.reverse();
    });
    const error = (await bundleToModel(long).catch((e: unknown) => e)) as ModelBundleError;
    expect(error.code).toBe('MALFORMED');
    expect(error.message).toMatch(/not in an order tfjs can build in 64 passes/);
  });

  it('refuses two layers with one name (tfjs would wire calls to the wrong one)', async () => {
    const bytes = await forgedTopologyBundle(chain(), (t) => {
      layerOf(t, 'b').name = 'a';
      layerOf(t, 'a').config.name = 'a';
      t.config.layers[2].config.name = 'a';
    });
    const error = (await bundleToModel(bytes).catch((e: unknown) => e)) as ModelBundleError;
    expect(error.code).toBe('MALFORMED');
    expect(error.message).toMatch(/two layers are named "a"/);
  });
});

describe('stateful states from what tfjs builds', () => {
  it('round-trips honest stateful RNN, stacked-cell RNN and ConvLSTM2D models', async () => {
    const models = [
      tfl.sequential({ layers: [tfl.layers.rnn({ cell: tfl.layers.lstmCell({ units: 4, ...RECURRENT_INIT }), stateful: true, batchInputShape: [2, 3, 2] })] }),
      tfl.sequential({ layers: [tfl.layers.convLstm2d({ filters: 2, kernelSize: 1, stateful: true, batchInputShape: [2, 2, 4, 4, 1], ...RECURRENT_INIT })] }),
    ];
    for (const model of models) {
      const restored = await bundleToModel(encodeBundle(await modelToBundle(model)));
      expect(restored.inputs[0]?.shape).toEqual(model.inputs[0]?.shape);
      restored.dispose();
      model.dispose();
    }
  });

  it('counts every stateful layer of a model together', async () => {
    // Each layer holds 2 x 10^6 x 4 = 8 x 10^6 values (under the limit); three hold 2.4 x 10^7 (over it).
    const lstm = () => tfl.layers.lstm({ units: 4, stateful: true, returnSequences: true, kernelInitializer: 'zeros', recurrentInitializer: 'zeros' });
    const model = tfl.sequential({
      layers: [
        tfl.layers.lstm({
          units: 4,
          stateful: true,
          returnSequences: true,
          batchInputShape: [2, 3, 4],
          kernelInitializer: 'zeros',
          recurrentInitializer: 'zeros',
        }),
        lstm(),
        lstm(),
      ],
    });
    const bytes = await forgedTopologyBundle(model, (t) => {
      t.config.layers[0].config.batch_input_shape = [1_000_000, 3, 4];
    });
    const { largest, result } = await measureAllocation(() => bundleToModel(bytes));
    const error = (result as PromiseRejectedResult).reason as ModelBundleError;
    expect(error.code, String(error)).toBe('LIMIT_EXCEEDED');
    expect(error.message).toMatch(/on top of 16000000 already held by other layers/);
    // The first two layers' states (32 MB each) were allocated, then freed with the half-built model.
    expect(largest).toBeLessThanOrEqual(8_000_000 * 4);
  });
});

describe('per-row and per-request output budgets', () => {
  it('restores a model whose growing layer stays under the per-row bound', async () => {
    const model = tfl.sequential({ layers: [tfl.layers.dense({ units: 2, inputShape: [4] }), tfl.layers.repeatVector({ n: 1000 })] });
    const restored = await bundleToModel(encodeBundle(await modelToBundle(model)));
    expect(restored.outputs[0]?.shape).toEqual([null, 1000, 2]);
    expect(MAX_ROW_ELEMENTS).toBe(67_108_864);
    restored.dispose();
    model.dispose();
  });

  it('refuses, before predicting, a batch whose layer outputs exceed the request budget, and predicts a smaller one', async () => {
    // Open spatial dimensions: the per-row size is known only from the real input.
    const model = tfl.sequential({ layers: [tfl.layers.upSampling2d({ size: [8, 8], inputShape: [null, null, 1] })] });
    const restored = await bundleToModel(encodeBundle(await modelToBundle(model)));
    const predictor = tfjsPredictor(restored, { maxRequestElements: 1_000_000 });
    const image = (n: number) => Array.from({ length: n }, () => Array.from({ length: n }, () => [1]));
    const tensors = tf.memory().numTensors;
    // 2 rows of 40 x 40: inputs 3,200 values, upsampled 204,800: under the budget.
    const ok = await predictor.predict([image(40), image(40)]);
    expect((ok[0] as Record<string, number[][][]>)[restored.outputNames[0] as string]).toHaveLength(320);
    // 3 rows of 80 x 80 upsample to 3 x 640 x 640 = 1,228,800 values: over.
    const error = (await predictor.predict([image(80), image(80), image(80)]).catch((e: unknown) => e)) as ModelBundleError;
    expect(error.code, String(error)).toBe('LIMIT_EXCEEDED');
    expect(error.message).toMatch(/Predicting these 3 rows would make the model's layers output 1228800 values in all; the limit is 1000000 per request/);
    expect(tf.memory().numTensors).toBe(tensors);
    // The budget of every predictor not given one, the CLI's and the server's included, from the environment.
    process.env[REQUEST_ELEMENTS_ENV] = '1000000';
    try {
      const fromEnv = (await tfjsPredictor(restored)
        .predict([image(80), image(80), image(80)])
        .catch((e: unknown) => e)) as ModelBundleError;
      expect(fromEnv.code).toBe('LIMIT_EXCEEDED');
      expect(fromEnv.details).toMatchObject({ limit: 1_000_000 });
    } finally {
      delete process.env[REQUEST_ELEMENTS_ENV];
    }
    expect(await tfjsPredictor(restored).predict([image(80), image(80), image(80)])).toHaveLength(3);
    restored.dispose();
    model.dispose();
  });
});

describe('nested row values', () => {
  it('refuses a value nested 200,000 deep with INVALID_INPUT, not a stack overflow', async () => {
    const model = tfl.sequential({ layers: [tfl.layers.dense({ units: 1, inputShape: [2] })] });
    const predictor = tfjsPredictor(model);
    let deep: unknown = 1;
    for (let i = 0; i < 200_000; i++) deep = [deep];
    const error = (await predictor.predict([deep]).catch((e: unknown) => e)) as ModelBundleError;
    expect(error).toBeInstanceOf(ModelBundleError);
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toMatch(/nested more than 400 lists deep/);
    // Ragged and well-formed values still get their usual answers.
    expect(((await predictor.predict([[[1], [2, 3]]]).catch((e: unknown) => e)) as ModelBundleError).message).toMatch(/ragged/);
    expect(await predictor.predict([[1, 2]])).toHaveLength(1);
    model.dispose();
  });
});
