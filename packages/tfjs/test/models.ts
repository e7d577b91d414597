import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

/** Deterministic values so runs are repeatable. */
export function values(n: number, seed = 1): number[] {
  return Array.from({ length: n }, (_, i) => Math.sin((i + 1) * 12.9898 * seed) * 0.5);
}

export function denseModel(): tfl.Sequential {
  return tfl.sequential({
    layers: [tfl.layers.dense({ units: 5, inputShape: [4], activation: 'relu' }), tfl.layers.dense({ units: 2, activation: 'softmax' })],
  });
}

export function convModel(): tfl.Sequential {
  return tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [6, 6, 1], filters: 2, kernelSize: 3, activation: 'relu' }),
      tfl.layers.batchNormalization(),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.dropout({ rate: 0.25 }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 3 }),
    ],
  });
}

/**
 * Recurrent layers default to the Orthogonal initializer, whose QR step calls
 * chained tensor ops that only the `@tensorflow/tfjs` union package registers;
 * with tfjs-core and tfjs-layers alone (this package's dependencies) it throws.
 */
export const RECURRENT_INIT = { recurrentInitializer: 'glorotUniform' } as const;

export function recurrentModel(): tfl.Sequential {
  return tfl.sequential({
    layers: [
      tfl.layers.embedding({ inputDim: 10, outputDim: 3, inputLength: 4 }),
      tfl.layers.lstm({ units: 3, returnSequences: true, ...RECURRENT_INIT }),
      tfl.layers.gru({ units: 2, ...RECURRENT_INIT }),
      tfl.layers.dense({ units: 1 }),
    ],
  });
}

/** Two inputs (one int32), two outputs, a shared layer, Concatenate and Add. */
export function multiModel(): tfl.LayersModel {
  const a = tfl.input({ shape: [3], name: 'a' });
  const b = tfl.input({ shape: [3], name: 'b' });
  const ids = tfl.input({ shape: [2], dtype: 'int32', name: 'ids' });
  const shared = tfl.layers.dense({ units: 3, name: 'shared' });
  const sa = shared.apply(a) as tfl.SymbolicTensor;
  const sb = shared.apply(b) as tfl.SymbolicTensor;
  const sum = tfl.layers.add().apply([sa, sb]) as tfl.SymbolicTensor;
  const embedded = tfl.layers.flatten().apply(tfl.layers.embedding({ inputDim: 5, outputDim: 2 }).apply(ids)) as tfl.SymbolicTensor;
  const joined = tfl.layers.concatenate().apply([sum, embedded]) as tfl.SymbolicTensor;
  const out1 = tfl.layers.dense({ units: 2, name: 'score' }).apply(joined) as tfl.SymbolicTensor;
  const out2 = tfl.layers.dense({ units: 1, activation: 'sigmoid', name: 'flag' }).apply(sum) as tfl.SymbolicTensor;
  return tfl.model({ inputs: [a, b, ids], outputs: [out1, out2], name: 'multi' });
}

/** A sequential model used as a layer inside a functional one. */
export function nestedModel(): tfl.LayersModel {
  const inner = tfl.sequential({
    layers: [tfl.layers.dense({ units: 4, inputShape: [3], activation: 'tanh' }), tfl.layers.dense({ units: 2 })],
    name: 'inner',
  });
  const x = tfl.input({ shape: [3], name: 'x' });
  const y = inner.apply(x) as tfl.SymbolicTensor;
  const z = tfl.layers.dense({ units: 1, name: 'head' }).apply(tfl.layers.concatenate().apply([x, y]) as tfl.SymbolicTensor) as tfl.SymbolicTensor;
  return tfl.model({ inputs: x, outputs: z, name: 'outer' });
}

/** Batch inputs for a model, from its input shapes and dtypes (int32 inputs get small ids). */
export function sampleInputs(model: tfl.LayersModel, batch = 3): tf.Tensor[] {
  return model.inputs.map((input, i) => {
    const shape = [batch, ...input.shape.slice(1).map((d) => d ?? 4)] as number[];
    const size = shape.reduce((a, b) => a * b, 1);
    if (input.dtype === 'int32')
      return tf.tensor(
        values(size, i + 2).map((v) => Math.floor(Math.abs(v) * 9)),
        shape,
        'int32',
      );
    return tf.tensor(values(size, i + 2), shape, 'float32');
  });
}

/** The raw bytes of every weight, in order. */
export function weightBytes(model: tfl.LayersModel): Buffer[] {
  return model.getWeights().map((w) => {
    const data = w.dataSync();
    return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  });
}

/** The raw bytes of every output for the given inputs. */
export function predictionBytes(model: tfl.LayersModel, inputs: tf.Tensor[]): Buffer[] {
  return tf.tidy(() => {
    const out = model.predict(inputs.length === 1 ? (inputs[0] as tf.Tensor) : inputs);
    return (Array.isArray(out) ? out : [out]).map((t) => {
      const data = t.dataSync();
      return Buffer.from(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
    });
  });
}

/** Bitwise equality of weights and of predictions on sample inputs. */
export function sameModel(a: tfl.LayersModel, b: tfl.LayersModel): boolean {
  const wa = weightBytes(a);
  const wb = weightBytes(b);
  if (wa.length !== wb.length || wa.some((w, i) => !w.equals(wb[i] as Buffer))) return false;
  const inputs = sampleInputs(a);
  try {
    const pa = predictionBytes(a, inputs);
    const pb = predictionBytes(b, inputs);
    return pa.length === pb.length && pa.every((p, i) => p.equals(pb[i] as Buffer));
  } finally {
    tf.dispose(inputs);
  }
}
