import { encodeBundle } from '@modelbundle/core';
import { expectCode } from '@modelbundle/testing';
import { bundleToModel, ensureBackend, modelToBundle, type TfjsPtype, tfjsPredictor } from '@modelbundle/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { convModel, denseModel, multiModel, recurrentModel } from './models.js';

beforeAll(async () => {
  await ensureBackend();
});

describe('predictor', () => {
  it('takes number lists or objects keyed by input name, and returns one object per row keyed by output name', async () => {
    const model = denseModel();
    const predictor = tfjsPredictor(model);
    expect(predictor.ptype).toEqual({
      inputs: [{ name: 'dense_Dense1_input', shape: [null, 4], dtype: 'float32' }],
      outputs: [{ name: 'dense_Dense2', shape: [null, 2], dtype: 'float32' }],
    });
    expect(predictor.types).toEqual(['numeric']);
    const rows = [[0.5, -1, 2, 0], { dense_Dense1_input: [0.5, -1, 2, 0] }];
    const out = await predictor.predict(rows as never);
    const direct = tf.tidy(() => (model.predict(tf.tensor2d([0.5, -1, 2, 0], [1, 4])) as tf.Tensor).arraySync() as number[][]);
    expect(out).toEqual([{ dense_Dense2: direct[0] }, { dense_Dense2: direct[0] }]);
    model.dispose();
  });

  it('keeps stable input names across a round trip, so a restored model takes the same rows', async () => {
    const model = denseModel();
    const restored = await bundleToModel(encodeBundle(await modelToBundle(model)));
    const name = (tfjsPredictor(model).ptype as TfjsPtype).inputs[0]?.name as string;
    const rows = [{ [name]: [1, 2, 3, 4] }];
    expect(tfjsPredictor(restored).ptype).toEqual(tfjsPredictor(model).ptype);
    expect(await tfjsPredictor(restored).predict(rows)).toEqual(await tfjsPredictor(model).predict(rows));
    model.dispose();
    restored.dispose();
  });

  it('feeds several inputs by name, int32 ids included, and returns each output', async () => {
    const model = multiModel();
    const out = await tfjsPredictor(model).predict([
      { a: [1, 2, 3], b: [3, 2, 1], ids: [0, 4] },
      { a: [0, 0, 0], b: [0, 0, 0], ids: [1, 1] },
    ]);
    expect(out).toHaveLength(2);
    expect(Object.keys(out[0] as object)).toEqual(['score', 'flag']);
    expect((out[0] as { score: number[] }).score).toHaveLength(2);
    expect(typeof (out[0] as { flag: number }).flag).toBe('number'); // a one-value output is a number
    model.dispose();
  });

  it('accepts nested values of the input shape or a flat list of its size', async () => {
    const model = convModel();
    const flat = Array.from({ length: 36 }, (_, i) => i / 36);
    const nested = Array.from({ length: 6 }, (_, r) => Array.from({ length: 6 }, (_, c) => [(r * 6 + c) / 36]));
    const predictor = tfjsPredictor(model);
    expect(await predictor.predict([flat] as never)).toEqual(await predictor.predict([nested] as never));
    model.dispose();
  });

  it('refuses bad rows with INVALID_INPUT saying what was expected', async () => {
    const model = multiModel();
    const predictor = tfjsPredictor(model);
    await expectCode(predictor.predict([]), 'INVALID_INPUT', 'non-empty');
    await expectCode(predictor.predict([[1, 2, 3]] as never), 'INVALID_INPUT', '3 inputs');
    await expectCode(predictor.predict([{ a: [1, 2, 3], b: [1, 2, 3] }]), 'INVALID_INPUT', '"ids"');
    await expectCode(predictor.predict([{ a: [1, 2], b: [1, 2, 3], ids: [1, 2] }]), 'INVALID_INPUT', 'expects [3]');
    await expectCode(predictor.predict([{ a: [1, 2, 3], b: [1, 2, 3], ids: [1.5, 2] }]), 'INVALID_INPUT', 'integers');
    await expectCode(predictor.predict([{ a: [1, 'x', 3], b: [1, 2, 3], ids: [1, 2] }]), 'INVALID_INPUT', 'string');
    await expectCode(predictor.predict([{ a: [[1], [2, 3]], b: [1, 2, 3], ids: [1, 2] }]), 'INVALID_INPUT', 'ragged');
    await expectCode(predictor.predict([{ a: [1, 2, 3] }], { type: 'class' }), 'INVALID_ARGUMENT', 'numeric');
    model.dispose();
  });

  it('takes sequences of any length for a recurrent model, the same length within one call', async () => {
    const model = recurrentModel();
    const predictor = tfjsPredictor(model);
    expect(await predictor.predict([[1, 2, 3, 4]] as never)).toHaveLength(1);
    const before = tf.memory().numTensors;
    await predictor.predict([
      [1, 2, 3, 4],
      [4, 3, 2, 1],
    ] as never);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
