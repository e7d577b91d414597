import * as tfl from '@tensorflow/tfjs-layers';

/** Dense stack: `input` features, then one Dense layer per entry of `units`. */
function mlp(name, input, units, init = 'glorotUniform') {
  const model = tfl.sequential({ name });
  units.forEach((n, i) => {
    model.add(
      tfl.layers.dense({
        units: n,
        activation: i === units.length - 1 ? 'softmax' : 'relu',
        kernelInitializer: init,
        ...(i === 0 ? { inputShape: [input] } : {}),
      }),
    );
  });
  return model;
}

function convnet() {
  const model = tfl.sequential({ name: 'convnet' });
  model.add(tfl.layers.conv2d({ inputShape: [64, 64, 3], filters: 32, kernelSize: 3, activation: 'relu' }));
  model.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tfl.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }));
  model.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tfl.layers.conv2d({ filters: 128, kernelSize: 3, activation: 'relu' }));
  model.add(tfl.layers.batchNormalization());
  model.add(tfl.layers.flatten());
  model.add(tfl.layers.dense({ units: 128, activation: 'relu' }));
  model.add(tfl.layers.dense({ units: 10, activation: 'softmax' }));
  return model;
}

// The default orthogonal recurrent initializer calls tensor.flatten(), a
// chained op that only the @tensorflow/tfjs umbrella package registers; with
// tfjs-core + tfjs-layers alone it throws. The initializer is irrelevant here.
function lstm() {
  const model = tfl.sequential({ name: 'lstm' });
  model.add(tfl.layers.lstm({ inputShape: [50, 64], units: 256, returnSequences: true, recurrentInitializer: 'glorotUniform' }));
  model.add(tfl.layers.lstm({ units: 256, recurrentInitializer: 'glorotUniform' }));
  model.add(tfl.layers.dense({ units: 10, activation: 'softmax' }));
  return model;
}

/**
 * The workloads. `quick` ones run in CI smoke mode; the rest only in the
 * full run. The scale model (> 4 GiB of weights in 512 MiB kernels) is
 * built with a constant initializer: random init of 1.2e9 values would
 * take minutes and prove nothing about I/O.
 */
export const WORKLOADS = {
  'mlp-1m': { quick: true, build: () => mlp('mlp_1m', 784, [1024, 256, 10]) },
  'mlp-10m': { quick: true, build: () => mlp('mlp_10m', 1024, [2048, 2048, 2048, 10]) },
  'mlp-100m': { quick: false, build: () => mlp('mlp_100m', 4096, [8192, 8192, 10]) },
  // Many small tensors: shows the per-tensor costs (header entries, padding, per-section I/O).
  'mlp-deep': { quick: true, build: () => mlp('mlp_deep', 64, [...Array.from({ length: 99 }, () => 64), 10]) },
  convnet: { quick: true, build: convnet },
  lstm: { quick: true, build: lstm },
};

/** An MLP workload built with a constant initializer: building leaves no garbage behind, so RSS readings show the save alone. */
export function rssModel(name) {
  const shapes = { 'mlp-1m': [784, [1024, 256, 10]], 'mlp-10m': [1024, [2048, 2048, 2048, 10]], 'mlp-100m': [4096, [8192, 8192, 10]] };
  const [input, units] = shapes[name];
  return mlp(name.replace('-', '_'), input, units, 'ones');
}

/** 9 kernels of 512 MiB (8192x16384 float32) plus biases: 4.5 GiB of weights. */
export function scaleModel(layers = 9) {
  const units = Array.from({ length: layers }, (_, i) => (i % 2 === 0 ? 16384 : 8192));
  return mlp('scale', 8192, units, 'ones');
}

/** Parameter count, tensor count, total and largest weight bytes of a model. */
export function modelStats(model) {
  let bytes = 0;
  let largest = 0;
  let params = 0;
  for (const w of model.weights) {
    const size = w.shape.reduce((a, b) => a * b, 1);
    params += size;
    const b = size * (w.dtype === 'bool' ? 1 : 4);
    bytes += b;
    largest = Math.max(largest, b);
  }
  return { params, tensors: model.weights.length, weightBytes: bytes, largestTensorBytes: largest };
}
