import * as tf from '@tensorflow/tfjs-core';
import { KERAS_ACTIVATIONS } from '../translate/activations.js';

/** What tfjs-layers calls on an activation object. */
abstract class KerasActivation extends tf.serialization.Serializable {
  abstract apply(x: tf.Tensor): tf.Tensor;
  override getConfig(): tf.serialization.ConfigDict {
    return {};
  }
}

const relu6Over6 = (x: tf.Tensor): tf.Tensor => tf.div(tf.relu6(tf.add(x, 3)), 6);

/** Keras 3's hard_sigmoid: relu6(x + 3) / 6. */
export class KerasHardSigmoid extends KerasActivation {
  static className = KERAS_ACTIVATIONS.hard_sigmoid_v3;
  apply(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => relu6Over6(x));
  }
}

/** Keras's hard_silu / hard_swish: x * relu6(x + 3) / 6. */
export class KerasHardSilu extends KerasActivation {
  static className = KERAS_ACTIVATIONS.hard_silu;
  apply(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => tf.mul(x, relu6Over6(x)));
  }
}

/** Keras 3's string activation leaky_relu: negative slope 0.2. */
export class KerasLeakyRelu extends KerasActivation {
  static className = KERAS_ACTIVATIONS.leaky_relu;
  apply(x: tf.Tensor): tf.Tensor {
    return tf.leakyRelu(x, 0.2);
  }
}

/** Keras's exponential activation: e^x. */
export class KerasExponential extends KerasActivation {
  static className = KERAS_ACTIVATIONS.exponential;
  apply(x: tf.Tensor): tf.Tensor {
    return tf.exp(x);
  }
}

/** The activation classes {@link registerKerasLayers} registers. */
export const ACTIVATION_CLASSES = [KerasHardSigmoid, KerasHardSilu, KerasLeakyRelu, KerasExponential];
