import { createRegistry, type Registry } from '@modelbundle/core';
import { tfjsPlugin } from '@modelbundle/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

/** A registry with the tfjs plugin only (autoload off). */
export function tfjsRegistry(): Registry {
  return createRegistry({ autoload: false }).registerPlugin(tfjsPlugin);
}

/** Deterministic, varied weights so every run predicts the same. */
function setWeights<T extends tfl.LayersModel>(model: T): T {
  model.setWeights(
    model.getWeights().map((w) => {
      const size = w.shape.reduce((a, d) => a * d, 1);
      return tf.tensor(
        Array.from({ length: size }, (_, i) => Math.sin(i * 1.7 + size * 0.3) * 0.5),
        w.shape,
      );
    }),
  );
  return model;
}

/** Two float inputs (`a` [3], `b` [2, 2]) and one output, joined with Concatenate. */
export function twoInputModel(): tfl.LayersModel {
  const a = tfl.input({ shape: [3], name: 'a' });
  const b = tfl.input({ shape: [2, 2], name: 'b' });
  const joined = tfl.layers.concatenate().apply([a, tfl.layers.flatten().apply(b) as tfl.SymbolicTensor]) as tfl.SymbolicTensor;
  const out = tfl.layers.dense({ units: 2, name: 'score' }).apply(joined) as tfl.SymbolicTensor;
  return setWeights(tfl.model({ inputs: [a, b], outputs: out, name: 'two_inputs' }));
}

/** One rank-3 input (`[4, 4, 1]`), a small convolution. */
export function imageModel(): tfl.LayersModel {
  return setWeights(
    tfl.sequential({
      layers: [
        tfl.layers.conv2d({ inputShape: [4, 4, 1], filters: 2, kernelSize: 2, activation: 'relu' }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 1 }),
      ],
    }),
  );
}

/** Dense layers on 8 features: the batching model. */
export function denseModel(): tfl.LayersModel {
  return setWeights(
    tfl.sequential({
      layers: [tfl.layers.dense({ units: 16, inputShape: [8], activation: 'relu' }), tfl.layers.dense({ units: 3, activation: 'softmax' })],
    }),
  );
}
