import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

/** Keras's Subtract merge layer (first input minus the second), which tfjs-layers lacks. */
export class KerasSubtract extends tfl.layers.Layer {
  static className = 'KerasSubtract';

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape | tfl.Shape[] {
    return (inputShape as tfl.Shape[])[0] as tfl.Shape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const list = inputs as tf.Tensor[];
      if (!Array.isArray(list) || list.length !== 2) throw new Error(`KerasSubtract takes exactly 2 inputs, got ${Array.isArray(list) ? list.length : 1}.`);
      return tf.sub(list[0] as tf.Tensor, list[1] as tf.Tensor);
    });
  }
}
