import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';

/**
 * Optimizer variables that tfjs's `getWeights()` leaves out. Adam
 * recomputes `beta^t` with `pow` on `setWeights`, which can differ from the
 * running product by one ulp; saving the running values keeps a resumed
 * training step bit-exact. Only these names are ever read or assigned.
 */
export const HIDDEN_OPTIMIZER_STATE: Readonly<Record<string, readonly string[]>> = {
  Adam: ['accBeta1', 'accBeta2'],
};

/** The hidden state of a model's optimizer, by name (float32 scalars). */
export function hiddenOptimizerState(model: LayersModel): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  const optimizer = model.optimizer as (tf.Optimizer & Record<string, unknown>) | undefined;
  const names = optimizer ? HIDDEN_OPTIMIZER_STATE[optimizer.getClassName()] : undefined;
  for (const name of names ?? []) {
    const variable = optimizer?.[name] as tf.Variable | undefined;
    if (variable && typeof variable.dataSync === 'function' && variable.dtype === 'float32' && variable.size === 1) {
      out.set(name, Float32Array.from(variable.dataSync() as Float32Array));
    }
  }
  return out;
}

/** Puts saved hidden state back into a restored model's optimizer (names outside the allow-list are ignored). */
export function restoreHiddenOptimizerState(model: LayersModel, state: ReadonlyMap<string, Float32Array>): void {
  const optimizer = model.optimizer as (tf.Optimizer & Record<string, unknown>) | undefined;
  const names = optimizer ? HIDDEN_OPTIMIZER_STATE[optimizer.getClassName()] : undefined;
  for (const name of names ?? []) {
    const value = state.get(name);
    const variable = optimizer?.[name] as tf.Variable | undefined;
    if (value && variable && typeof variable.assign === 'function' && variable.size === value.length) {
      tf.tidy(() => variable.assign(tf.tensor(value, variable.shape, 'float32')));
    }
  }
}
