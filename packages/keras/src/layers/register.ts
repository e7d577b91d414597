import * as tf from '@tensorflow/tfjs-core';
import { ACTIVATION_CLASSES } from './activations.js';
import { KerasGRU, KerasGRUCell } from './gru.js';
import { KerasSubtract } from './subtract.js';

/** Every class name {@link registerKerasLayers} registers with TensorFlow.js. */
export const KERAS_CLASS_NAMES: readonly string[] = [
  KerasGRU.className,
  KerasGRUCell.className,
  KerasSubtract.className,
  ...ACTIVATION_CLASSES.map((c) => c.className),
];

/**
 * Registers with TensorFlow.js the layers and activations that imported Keras
 * models may need where tfjs has no equal (GRU with reset_after=True, Keras 3
 * hard_sigmoid, hard_silu, leaky_relu and exponential activations,
 * Keras's Subtract layer). Nothing registers on import: call this once before restoring a bundle that
 * `kerasToBundle` made (its summary lists `kerasClasses`). Idempotent.
 */
export function registerKerasLayers(): void {
  const map = tf.serialization.SerializationMap.getMap().classNameMap;
  for (const cls of [
    KerasGRU,
    KerasGRUCell,
    KerasSubtract,
    ...ACTIVATION_CLASSES,
  ] as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>[]) {
    if (!Object.hasOwn(map, (cls as unknown as { className: string }).className)) tf.serialization.registerClass(cls);
  }
}
