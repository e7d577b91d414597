import { ModelBundleError } from '@modelbundle/core';
import { isObject } from './keras-json.js';

/** Keras activations tfjs computes identically, by their Keras name. */
const SAME: Readonly<Record<string, string>> = {
  linear: 'linear',
  relu: 'relu',
  relu6: 'relu6',
  sigmoid: 'sigmoid',
  tanh: 'tanh',
  softmax: 'softmax',
  softplus: 'softplus',
  softsign: 'softsign',
  selu: 'selu',
  elu: 'elu',
  mish: 'mish',
  log_softmax: 'logSoftmax',
  // Keras's silu and swish are both x * sigmoid(x), as is tfjs's swish.
  swish: 'swish',
  silu: 'swish',
  // Keras's string 'gelu' is the exact (erf) form, approximate=False, like tfjs's 'gelu'.
  gelu: 'gelu',
};

/**
 * Activations registered by {@link registerKerasLayers} (class names tfjs
 * looks up): each computes what Keras computes where tfjs has no equal.
 */
export const KERAS_ACTIVATIONS = {
  /** Keras 3 hard_sigmoid: relu6(x + 3) / 6 (tfjs's hardSigmoid is Keras 2's 0.2x + 0.5). */
  hard_sigmoid_v3: 'kerasHardSigmoid',
  /** x * relu6(x + 3) / 6. */
  hard_silu: 'kerasHardSilu',
  /** Keras 3 leaky_relu as a string activation: negative slope 0.2. */
  leaky_relu: 'kerasLeakyRelu',
  exponential: 'kerasExponential',
} as const;

/** The Keras activation names this package maps, for the docs table. */
export const SUPPORTED_ACTIVATIONS: readonly string[] = [...Object.keys(SAME), 'hard_sigmoid', 'hard_silu', 'hard_swish', 'leaky_relu', 'exponential'].sort();

/**
 * The tfjs activation for a Keras one, as the file's Keras major computes it.
 * Never falls back silently: an activation tfjs cannot match is refused.
 */
export function translateActivation(value: unknown, kerasMajor: number, layer: string): string {
  let name = value;
  // Keras 3 may serialize a function object: {class_name: 'function', config: 'relu'}.
  if (isObject(value) && typeof value.config === 'string') name = value.config;
  if (name === undefined || name === null) return 'linear';
  if (typeof name !== 'string') {
    throw new ModelBundleError(
      'UNKNOWN_CLASS',
      `Layer "${layer}" uses a custom activation object ${JSON.stringify(value).slice(0, 200)}; only Keras's built-in activations are imported.`,
    );
  }
  const same = SAME[name];
  if (same) return same;
  if (name === 'hard_sigmoid') return kerasMajor >= 3 ? KERAS_ACTIVATIONS.hard_sigmoid_v3 : 'hardSigmoid';
  if (name === 'hard_silu' || name === 'hard_swish') return KERAS_ACTIVATIONS.hard_silu;
  if (name === 'leaky_relu') return KERAS_ACTIVATIONS.leaky_relu;
  if (name === 'exponential') return KERAS_ACTIVATIONS.exponential;
  throw new ModelBundleError(
    'UNKNOWN_CLASS',
    `Layer "${layer}" uses the activation "${name}", which has no TensorFlow.js equivalent. Supported: ${SUPPORTED_ACTIVATIONS.join(', ')}. Rebuild the layer with one of these, or register a tfjs activation and add it to the topology yourself.`,
    { details: { layer, activation: name } },
  );
}

/** True when a tfjs activation name is one this package registers (the topology then needs registerKerasLayers()). */
export function isKerasActivation(name: string): boolean {
  return (Object.values(KERAS_ACTIVATIONS) as string[]).includes(name);
}
