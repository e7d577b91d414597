import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

type Kwargs = Record<string, unknown>;
type Weight = { read(): tf.Tensor };
type Activation = { apply(x: tf.Tensor): tf.Tensor };
/** The fields of tfjs's GRUCell this subclass reads (tfjs does not export the class's type). */
interface GruCellFields {
  units: number;
  useBias: boolean;
  activation: Activation;
  recurrentActivation: Activation;
  kernel: Weight;
  recurrentKernel: Weight;
  bias: Weight | null;
  kernelInitializer: unknown;
  recurrentInitializer: unknown;
  biasInitializer: unknown;
  kernelRegularizer: unknown;
  recurrentRegularizer: unknown;
  biasRegularizer: unknown;
  kernelConstraint: unknown;
  recurrentConstraint: unknown;
  biasConstraint: unknown;
  dropout: number;
  recurrentDropout: number;
  built: boolean;
  dropoutMask: tf.Tensor | tf.Tensor[] | null;
  recurrentDropoutMask: tf.Tensor | tf.Tensor[] | null;
  addWeight(name: string, shape: number[], dtype: null, initializer: unknown, regularizer: unknown, trainable: boolean, constraint: unknown): Weight;
  getConfig(): tf.serialization.ConfigDict;
}

// tfjs-layers exports GRUCell only through its factory; its class is the constructor of an instance.
const GRUCellBase = tfl.layers.gruCell({ units: 1 }).constructor as unknown as new (args: Kwargs) => GruCellFields;

/**
 * Keras's GRU cell with `reset_after=True` (Keras's default since 2.x,
 * refused by tfjs): the reset gate multiplies the recurrent projection
 * after the matrix product, and input and recurrent projections each have a
 * bias row (bias shape [2, 3 * units]). Gate order z, r, h as in Keras.
 */
export class KerasGRUCell extends (GRUCellBase as unknown as new (args: Kwargs) => GruCellFields & tf.serialization.Serializable) {
  static className = 'KerasGRUCell';

  constructor(args: Kwargs) {
    super({ ...args, resetAfter: false });
  }

  build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    const inputDim = shape[shape.length - 1] as number;
    const units = this.units;
    this.kernel = this.addWeight('kernel', [inputDim, 3 * units], null, this.kernelInitializer, this.kernelRegularizer, true, this.kernelConstraint);
    this.recurrentKernel = this.addWeight(
      'recurrent_kernel',
      [units, 3 * units],
      null,
      this.recurrentInitializer,
      this.recurrentRegularizer,
      true,
      this.recurrentConstraint,
    );
    this.bias = this.useBias ? this.addWeight('bias', [2, 3 * units], null, this.biasInitializer, this.biasRegularizer, true, this.biasConstraint) : null;
    this.built = true;
  }

  call(inputs: tf.Tensor[], _kwargs: Kwargs): tf.Tensor[] {
    return tf.tidy(() => {
      const [x, hPrev] = inputs as [tf.Tensor, tf.Tensor];
      let projectedX = tf.matMul(x as tf.Tensor2D, this.kernel.read() as tf.Tensor2D) as tf.Tensor;
      let projectedH = tf.matMul(hPrev as tf.Tensor2D, this.recurrentKernel.read() as tf.Tensor2D) as tf.Tensor;
      if (this.bias) {
        const [inputBias, recurrentBias] = tf.unstack(this.bias.read()) as [tf.Tensor, tf.Tensor];
        projectedX = tf.add(projectedX, inputBias);
        projectedH = tf.add(projectedH, recurrentBias);
      }
      const [xZ, xR, xH] = tf.split(projectedX, 3, -1) as [tf.Tensor, tf.Tensor, tf.Tensor];
      const [hZ, hR, hH] = tf.split(projectedH, 3, -1) as [tf.Tensor, tf.Tensor, tf.Tensor];
      const z = this.recurrentActivation.apply(tf.add(xZ, hZ));
      const r = this.recurrentActivation.apply(tf.add(xR, hR));
      const candidate = this.activation.apply(tf.add(xH, tf.mul(r, hH)));
      const h = tf.add(tf.mul(z, hPrev), tf.mul(tf.sub(1, z), candidate));
      return [h, h];
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), resetAfter: true };
  }
}

const RNNBase = tfl.RNN as unknown as new (
  args: Kwargs,
) => tf.serialization.Serializable & {
  cell: { dropoutMask: unknown; recurrentDropoutMask: unknown } & tf.serialization.Serializable;
  call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[];
  getConfig(): tf.serialization.ConfigDict;
};

/** A GRU layer over {@link KerasGRUCell}: what Keras computes for `GRU(reset_after=True)`. */
export class KerasGRU extends RNNBase {
  static className = 'KerasGRU';

  constructor(args: Kwargs) {
    super({ ...args, cell: new KerasGRUCell(args) });
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    // Dropout is inactive at inference; masks from an earlier training call must not leak in (as tfjs's GRU does).
    this.cell.dropoutMask = null;
    this.cell.recurrentDropoutMask = null;
    return super.call(inputs, kwargs);
  }

  override getConfig(): tf.serialization.ConfigDict {
    const config = super.getConfig();
    const cell = (this.cell as unknown as { getConfig(): tf.serialization.ConfigDict }).getConfig();
    delete (config as Record<string, unknown>).cell;
    for (const key of [
      'units',
      'activation',
      'recurrentActivation',
      'useBias',
      'kernelInitializer',
      'recurrentInitializer',
      'biasInitializer',
      'kernelRegularizer',
      'recurrentRegularizer',
      'biasRegularizer',
      'kernelConstraint',
      'recurrentConstraint',
      'biasConstraint',
      'dropout',
      'recurrentDropout',
      'resetAfter',
    ]) {
      (config as Record<string, unknown>)[key] = cell[key];
    }
    return config;
  }

  static fromConfig<T extends tf.serialization.Serializable>(cls: tf.serialization.SerializableConstructor<T>, config: tf.serialization.ConfigDict): T {
    return new cls(config);
  }
}
