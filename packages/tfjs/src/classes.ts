import { ModelBundleError } from '@modelbundle/core';
import * as tf from '@tensorflow/tfjs-core';
import { forEachRecord } from './topology-walk.js';

/**
 * Every class tfjs-layers 4.22 registers itself (layers, initializers,
 * constraints, regularizers, optimizers, models). A class name outside this
 * list is "custom": the application must register it before loading.
 */
const BUILTIN_CLASSES: ReadonlySet<string> = new Set([
  'Activation',
  'Adadelta',
  'Adagrad',
  'Adam',
  'Adamax',
  'Add',
  'AlphaDropout',
  'Average',
  'AveragePooling1D',
  'AveragePooling2D',
  'AveragePooling3D',
  'BatchNormalization',
  'Bidirectional',
  'CategoryEncoding',
  'CenterCrop',
  'Concatenate',
  'Constant',
  'Conv1D',
  'Conv2D',
  'Conv2DTranspose',
  'Conv3D',
  'Conv3DTranspose',
  'ConvLSTM2D',
  'ConvLSTM2DCell',
  'Cropping2D',
  'Dense',
  'DepthwiseConv2D',
  'Dot',
  'Dropout',
  'ELU',
  'Embedding',
  'Flatten',
  'Functional',
  'GRU',
  'GRUCell',
  'GaussianDropout',
  'GaussianNoise',
  'GlobalAveragePooling1D',
  'GlobalAveragePooling2D',
  'GlobalMaxPooling1D',
  'GlobalMaxPooling2D',
  'GlorotNormal',
  'GlorotUniform',
  'HeNormal',
  'HeUniform',
  'Identity',
  'InputLayer',
  'L1L2',
  'LSTM',
  'LSTMCell',
  'LayerNormalization',
  'LeCunNormal',
  'LeCunUniform',
  'LeakyReLU',
  'Masking',
  'MaxNorm',
  'MaxPooling1D',
  'MaxPooling2D',
  'MaxPooling3D',
  'Maximum',
  'MinMaxNorm',
  'Minimum',
  'Model',
  'Momentum',
  'Multiply',
  'NonNeg',
  'Ones',
  'Orthogonal',
  'PReLU',
  'Permute',
  'RMSProp',
  'RNN',
  'RandomNormal',
  'RandomUniform',
  'RandomWidth',
  'ReLU',
  'RepeatVector',
  'Rescaling',
  'Reshape',
  'Resizing',
  'SGD',
  'SeparableConv2D',
  'Sequential',
  'SimpleRNN',
  'SimpleRNNCell',
  'Softmax',
  'SpatialDropout1D',
  'StackedRNNCells',
  'ThresholdedReLU',
  'TimeDistributed',
  'TruncatedNormal',
  'UnitNorm',
  'UpSampling2D',
  'VarianceScaling',
  'ZeroPadding2D',
  'Zeros',
  'elu',
  'gelu',
  'gelu_new',
  'hardSigmoid',
  'linear',
  'logSoftmax',
  'mish',
  'relu',
  'relu6',
  'selu',
  'sigmoid',
  'softmax',
  'softplus',
  'softsign',
  'swish',
  'tanh',
]);

/** Every `class_name` in a topology (models, layers, initializers, ...), in first-seen order. */
export function topologyClassNames(topology: unknown): string[] {
  const found = new Set<string>();
  forEachRecord(topology, (record) => {
    if (typeof record.class_name === 'string') found.add(record.class_name);
  });
  return [...found];
}

/** The class names among `names` that tfjs-layers does not provide itself. */
export function customClassNames(names: readonly string[]): string[] {
  return names.filter((name) => !BUILTIN_CLASSES.has(name));
}

/** True when tfjs can resolve `name` while loading (it was registered with `tf.serialization.registerClass`). */
export function isClassRegistered(name: string): boolean {
  return Object.hasOwn(tf.serialization.SerializationMap.getMap().classNameMap, name);
}

/**
 * Throws UNKNOWN_CLASS naming the first class of `names` that is not
 * registered, with the call that fixes it. Runs before any tensor is made.
 */
export function assertClassesRegistered(names: readonly string[]): void {
  const missing = names.filter((name) => !isClassRegistered(name));
  if (missing.length === 0) return;
  const list = missing.map((name) => `"${name}"`).join(', ');
  const calls = missing.map((name) => `tf.serialization.registerClass(${name})`).join('; ');
  // Classes @modelbundle/keras writes into imported Keras models (KerasGRU, kerasHardSigmoid, ...) have one registration call.
  const keras = missing.some((name) => /^[Kk]eras[A-Z]/.test(name))
    ? ' Classes named Keras… come from @modelbundle/keras: call its registerKerasLayers() once.'
    : '';
  throw new ModelBundleError(
    'UNKNOWN_CLASS',
    `The model needs the class${missing.length > 1 ? 'es' : ''} ${list}, which ${missing.length > 1 ? 'are' : 'is'} not registered with TensorFlow.js. Import the code that defines ${missing.length > 1 ? 'them' : 'it'} and call ${calls}; before loading the bundle.${keras}`,
    { details: { classes: missing } },
  );
}
