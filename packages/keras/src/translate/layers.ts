import { ModelBundleError } from '@modelbundle/core';
import { isKerasActivation, translateActivation } from './activations.js';
import { dtypeName, isKerasBuiltin, isObject, type Json, type KerasObject, kerasObject } from './keras-json.js';
import { translateParams } from './params.js';
import { leaf, type WeightNode } from './weight-node.js';

/** What the translation of one model needs to know. */
export interface TranslateContext {
  /** The Keras major version that wrote the file (2 or 3): activations differ between them. */
  kerasMajor: number;
  maxDepth: number;
  maxLayers: number;
  /** Layers translated so far, nested ones included. */
  layerCount: number;
  /** Keras classes that became a class of this package (the bundle then needs registerKerasLayers()). */
  kerasClasses: Set<string>;
  /** Translates a nested model (set by the model translator, which owns model structure). */
  model: (object: KerasObject, context: TranslateContext, depth: number) => TranslatedLayer;
}

/** One layer in tfjs's topology form with where its weights live. */
export interface TranslatedLayer {
  name: string;
  /** `{class_name, config}` as tfjs-layers reads it. */
  json: Json;
  node: WeightNode;
}

/** A static batch shape, batch first (null where Keras leaves a size open). */
export type Shape = (number | null)[];

/** What the model translator could follow to a layer's input: its shape, and whether Keras gives it a timestep mask. */
export interface LayerInput {
  shape?: Shape;
  masked?: boolean;
}

type Handler = (object: KerasObject, config: Json, context: TranslateContext, depth: number, scope: string, input?: LayerInput) => TranslatedLayer;

/** Config keys only Keras (or only one Keras version) knows; tfjs-layers has no use for them. */
const DROPPED_KEYS = ['lora_rank', 'lora_alpha', 'quantization_config', 'seed', 'use_cudnn', 'synchronized', 'ragged', 'sparse', 'time_major', 'autocast'];

function refuse(layer: string, className: string, why: string, next: string): ModelBundleError {
  return new ModelBundleError('UNKNOWN_CLASS', `Layer "${layer}" (${className}) cannot be imported: ${why}. ${next}`, { details: { layer, class: className } });
}

/** The config as tfjs reads it: dtype policies as names, Keras 3's batch_shape as batch_input_shape, Keras-only keys gone. */
function baseConfig(object: KerasObject, name: string): Json {
  const config: Json = { ...object.config, name };
  for (const key of DROPPED_KEYS) delete config[key];
  const dtype = dtypeName(config.dtype);
  if (dtype !== undefined) config.dtype = dtype;
  else delete config.dtype;
  if (Array.isArray(config.batch_shape)) config.batch_input_shape = config.batch_shape;
  delete config.batch_shape;
  translateParams(config);
  return config;
}

/** Builds a translated layer whose weights are its own variables, named `<scope>/<var>`. */
function simple(className: string, vars: (config: Json) => [string, boolean][]): Handler {
  return (object, config, _context, _depth, scope) => ({
    name: config.name as string,
    json: { class_name: className, config },
    node: leaf(
      object.className,
      config.trainable !== false,
      vars(config).map(([v, trainable]) => ({ name: `${scope}/${v}`, trainable })),
    ),
  });
}

const none = (): [string, boolean][] => [];
const kernelBias =
  (kernel = 'kernel') =>
  (c: Json): [string, boolean][] => [[kernel, true], ...(c.use_bias !== false ? ([['bias', true]] as [string, boolean][]) : [])];

function withActivation(context: TranslateContext, key = 'activation'): (c: Json) => void {
  return (c) => {
    if (!(key in c)) return;
    const activation = translateActivation(c[key], context.kerasMajor, String(c.name));
    c[key] = activation;
    if (isKerasActivation(activation)) {
      // tfjs looks activations up by name only; this marker makes the class visible to the bundle's registered-class check.
      context.kerasClasses.add(activation);
      const markers = Array.isArray(c.keras_classes) ? c.keras_classes : [];
      c.keras_classes = [...markers, { class_name: activation, config: {} }];
    }
  };
}

/** The identity (what Keras computes at inference for noise, dropout and Random* augmentation layers). */
const identity: Handler = (object, config) => {
  const { name, trainable, dtype, batch_input_shape } = config;
  return {
    name: name as string,
    json: {
      class_name: 'Activation',
      config: { name, trainable, activation: 'linear', ...(dtype ? { dtype } : {}), ...(batch_input_shape ? { batch_input_shape } : {}) },
    },
    node: leaf(object.className, trainable !== false, []),
  };
};

function single(value: unknown): unknown {
  return Array.isArray(value) && value.length === 1 ? value[0] : value;
}

/** The input shape Keras 3 recorded for a built layer (build_config). */
function builtShape(object: KerasObject): Shape | undefined {
  const built = isObject(object.raw.build_config) ? object.raw.build_config.input_shape : undefined;
  return Array.isArray(built) ? (built as Shape) : undefined;
}

function perAxis(value: unknown, n: number): number[] {
  return Array.isArray(value) ? value.map(Number) : Array.from({ length: n }, () => Number(value));
}

/**
 * tfjs's transposed convolutions ignore dilation_rate and output_padding: the output is always size * stride
 * ('same') or size * stride + max(kernel - stride, 0) ('valid'). An output_padding that gives Keras that same
 * length on every axis is dropped; any other is refused.
 */
function checkTranspose(object: KerasObject, config: Json): void {
  const n = object.className === 'Conv3DTranspose' ? 3 : 2;
  const kernel = perAxis(config.kernel_size, n);
  const name = String(config.name);
  if (config.dilation_rate !== undefined && perAxis(config.dilation_rate, n).some((d) => d !== 1)) {
    throw refuse(
      name,
      object.className,
      `it has dilation_rate=${JSON.stringify(config.dilation_rate)}, which TensorFlow.js transposed convolutions ignore`,
      'Use dilation_rate=1.',
    );
  }
  if (config.output_padding !== undefined && config.output_padding !== null) {
    const strides = perAxis(config.strides ?? 1, n);
    const padding = perAxis(config.output_padding, n);
    // Keras's length is (size - 1) * stride + kernel - 2 * pad + output_padding, pad = kernel // 2 for 'same', 0 for 'valid'.
    const same = kernel.every((k, i) => {
      const s = strides[i] as number;
      const keras = k - (config.padding === 'same' ? 2 * Math.floor(k / 2) : 0) + (padding[i] as number) - s;
      return keras === (config.padding === 'same' ? 0 : Math.max(k - s, 0));
    });
    if (!same) {
      throw refuse(
        name,
        object.className,
        `its output_padding=${JSON.stringify(config.output_padding)} gives a different output size than TensorFlow.js transposed convolutions compute`,
        'Save it with output_padding=None, or follow it with a Cropping or ZeroPadding layer for the size you need.',
      );
    }
  }
  delete config.output_padding;
}

/**
 * tfjs's 3D 'same' padding does not clamp a negative padding at 0 as TensorFlow does: on an axis where the window
 * is smaller than the stride it can start the output one step early. TensorFlow pads nothing there, which is
 * 'valid' padding: where no axis pads anything the layer becomes 'valid', where none would go negative it stays
 * 'same', and otherwise it is refused.
 */
function check3DSame(object: KerasObject, config: Json, input: LayerInput): void {
  if (config.padding !== 'same') return;
  const pooling = object.className.includes('Pooling');
  const dilation = perAxis(config.dilation_rate ?? 1, 3);
  const windows = perAxis(pooling ? (config.pool_size ?? 2) : config.kernel_size, 3).map((k, i) => (k - 1) * (dilation[i] as number) + 1);
  const strides = perAxis(config.strides ?? (pooling ? windows : 1), 3);
  if (windows.every((k, i) => k >= (strides[i] as number))) return;
  const shape = builtShape(object) ?? input.shape;
  const pads = windows.map((k, i) => {
    const s = strides[i] as number;
    // A transposed convolution pads as the forward convolution of its output (size * stride) does: kernel - stride.
    if (object.className.endsWith('Transpose')) return k - s;
    const n = shape?.[i + 1];
    return typeof n === 'number' ? (Math.ceil(n / s) - 1) * s + k - n : undefined;
  });
  if (pads.every((p) => p !== undefined && p <= 0)) config.padding = 'valid';
  else if (!pads.every((p) => p !== undefined && p >= 0)) {
    throw refuse(
      String(config.name),
      object.className,
      `it uses padding="same" with a ${pooling ? 'pool' : 'kernel'} smaller than its stride (${JSON.stringify(windows)} against ${JSON.stringify(strides)}), where TensorFlow.js's 3D padding can shift the output by one`,
      'Use padding="valid" or a window at least as large as the stride (or, for a convolution or pooling, a fixed input size saved in a Keras 3 .keras file).',
    );
  }
}

const conv = (className: string, vars: (c: Json) => [string, boolean][]): Handler => {
  const inner = simple(className, vars);
  return (object, config, context, depth, scope, input = {}) => {
    if (config.groups !== undefined && config.groups !== 1) {
      throw refuse(
        String(config.name),
        object.className,
        `it uses groups=${config.groups}, which TensorFlow.js convolutions do not support`,
        'Use groups=1 or split the convolution into separate layers.',
      );
    }
    delete config.groups;
    if (className.endsWith('Transpose')) checkTranspose(object, config);
    if (className.startsWith('Conv3D')) check3DSame(object, config, input);
    if (className === 'SeparableConv2D') for (const key of ['kernel_initializer', 'kernel_regularizer', 'kernel_constraint']) delete config[key];
    withActivation(context)(config);
    return inner(object, config, context, depth, scope);
  };
};

const pooling = (className: string): Handler => {
  const inner = simple(className, none);
  return (object, config, context, depth, scope, input = {}) => {
    if (config.keepdims === true) {
      throw refuse(
        String(config.name),
        object.className,
        'it keeps the pooled dimensions (keepdims=True), which TensorFlow.js pooling cannot',
        'Use keepdims=False followed by a Reshape.',
      );
    }
    delete config.keepdims;
    if (className === 'GlobalAveragePooling1D' && input.masked) {
      throw refuse(
        String(config.name),
        object.className,
        'a timestep mask (from Masking or Embedding mask_zero=True) reaches it: Keras averages only the unmasked timesteps, TensorFlow.js all of them',
        'Save the model without the mask, or pool with a recurrent layer (which TensorFlow.js masks as Keras does).',
      );
    }
    if (className.endsWith('3D')) check3DSame(object, config, input);
    return inner(object, config, context, depth, scope);
  };
};

const recurrent =
  (className: string): Handler =>
  (object, config, context, _depth, scope) => {
    for (const key of ['initial_state', 'constants'])
      if (config[key]) throw refuse(String(config.name), object.className, `it has ${key}`, 'Export the model without it.');
    withActivation(context)(config);
    withActivation(context, 'recurrent_activation')(config);
    let tfjsClass = className;
    if (object.className === 'GRU' && config.reset_after !== false) {
      // Keras's default GRU (reset_after=True, two bias rows) has no tfjs built-in: our registered KerasGRU computes it.
      tfjsClass = 'KerasGRU';
      context.kerasClasses.add('KerasGRU');
      config.keras_classes = [...(Array.isArray(config.keras_classes) ? config.keras_classes : []), { class_name: 'KerasGRUCell', config: {} }];
    } else if (object.className === 'GRU') {
      config.reset_after = false;
    }
    if (object.className === 'LSTM') config.unit_forget_bias ??= true;
    if (config.go_backwards === undefined) config.go_backwards = false;
    const useBias = config.use_bias !== false;
    const cell = leaf(`${object.className}Cell`, config.trainable !== false, [
      { name: `${scope}/kernel`, trainable: true },
      { name: `${scope}/recurrent_kernel`, trainable: true },
      ...(useBias ? [{ name: `${scope}/bias`, trainable: true }] : []),
    ]);
    return {
      name: config.name as string,
      json: { class_name: tfjsClass, config },
      node: { kerasClass: object.className, trainable: config.trainable !== false, vars: [], attrs: [['cell', cell]], layers: [] },
    };
  };

/** A copy of a layer's JSON with every initializer set to Zeros. */
function zeroInitializers(json: unknown): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(json as Json)) {
    out[k] = k.endsWith('_initializer') && v !== null ? { class_name: 'Zeros', config: {} } : isObject(v) ? zeroInitializers(v) : v;
  }
  return out;
}

/** Translates the layer inside a wrapper (Bidirectional, TimeDistributed), its weights named under `scope`. */
function innerLayer(value: unknown, context: TranslateContext, depth: number, scope: string, name?: string): TranslatedLayer {
  return translateLayer(value, context, depth + 1, scope, name);
}

const HANDLERS: Readonly<Record<string, Handler>> = {
  InputLayer: (_object, config) => {
    const { name, dtype, batch_input_shape } = config;
    if (!Array.isArray(batch_input_shape)) {
      throw new ModelBundleError('MALFORMED', `The InputLayer "${String(name)}" has no batch_shape or batch_input_shape; the config is damaged.`);
    }
    return {
      name: name as string,
      json: { class_name: 'InputLayer', config: { name, batch_input_shape, dtype: dtype ?? 'float32', sparse: false } },
      node: leaf('InputLayer', true, []),
    };
  },
  Dense: (object, config, context, depth, scope) => {
    withActivation(context)(config);
    return simple('Dense', kernelBias())(object, config, context, depth, scope);
  },
  Activation: (object, config, context, depth, scope) => {
    withActivation(context)(config);
    return simple('Activation', none)(object, config, context, depth, scope);
  },
  Dropout: simple('Dropout', none),
  SpatialDropout1D: simple('SpatialDropout1D', none),
  SpatialDropout2D: identity,
  SpatialDropout3D: identity,
  GaussianDropout: identity,
  GaussianNoise: identity,
  AlphaDropout: identity,
  ActivityRegularization: identity,
  Identity: identity,
  RandomFlip: identity,
  RandomRotation: identity,
  RandomZoom: identity,
  RandomTranslation: identity,
  RandomContrast: identity,
  RandomBrightness: identity,
  RandomHeight: identity,
  RandomWidth: identity,
  RandomCrop: (object, config) => {
    throw refuse(
      String(config.name),
      object.className,
      'at inference Keras crops (and resizes) its input to the target size, so it is not an identity, and TensorFlow.js has no layer that reproduces it',
      'Replace it with CenterCrop (or Resizing) for inference and save the model again.',
    );
  },
  Flatten: (object, config, context, depth, scope) => {
    const built = isObject(object.raw.build_config) ? object.raw.build_config.input_shape : undefined;
    // Keras's Flatten leaves a rank-2 input as it is; tfjs's Flatten refuses rank 2.
    if (Array.isArray(built) && built.length === 2) return identity(object, config, context, depth, scope);
    return simple('Flatten', none)(object, config, context, depth, scope);
  },
  Reshape: simple('Reshape', none),
  Permute: simple('Permute', none),
  RepeatVector: simple('RepeatVector', none),
  Masking: simple('Masking', none),
  ZeroPadding2D: simple('ZeroPadding2D', none),
  Cropping2D: simple('Cropping2D', none),
  UpSampling2D: simple('UpSampling2D', none),
  Rescaling: simple('Rescaling', none),
  CenterCrop: (object, config, _context, _depth, _scope, input = {}) => {
    const name = String(config.name);
    if (config.data_format === 'channels_first') {
      throw refuse(name, object.className, 'it uses data_format="channels_first"', 'Use channels_last (the Keras default).');
    }
    // tfjs's own CenterCrop starts one column late when the width is one more than the target and rewrites its input's
    // shape in place, so the crop becomes a fixed Cropping2D at Keras's offsets, which need the input size.
    const shape = builtShape(object) ?? input.shape;
    const [h, w] = [shape?.[1], shape?.[2]];
    if (shape?.length !== 4 || typeof h !== 'number' || typeof w !== 'number') {
      throw refuse(
        name,
        object.className,
        'its input height and width are not fixed in the file (no build_config, and it does not follow the model input through layers that keep the shape), and where it crops depends on them',
        'Replace it with a Cropping2D layer, or give the model a fixed input size and save it as a Keras 3 .keras file.',
      );
    }
    const [th, tw] = [Number(config.height), Number(config.width)];
    if (h < th || w < tw) {
      throw refuse(
        name,
        object.className,
        `its input (${h}x${w}) is smaller than its target (${th}x${tw}): Keras then resizes the image (smart_resize), which no TensorFlow.js layer reproduces`,
        'Resize the images to at least the target size before the model.',
      );
    }
    // Keras starts the window at (size - target) // 2.
    const [top, left] = [Math.floor((h - th) / 2), Math.floor((w - tw) / 2)];
    const { trainable, dtype, batch_input_shape } = config;
    const cropping = [
      [top, h - th - top],
      [left, w - tw - left],
    ];
    return {
      name,
      json: {
        class_name: 'Cropping2D',
        config: { name, trainable, cropping, data_format: 'channels_last', ...(dtype ? { dtype } : {}), ...(batch_input_shape ? { batch_input_shape } : {}) },
      },
      node: leaf(object.className, trainable !== false, []),
    };
  },
  Conv1D: conv('Conv1D', kernelBias()),
  Conv2D: conv('Conv2D', kernelBias()),
  Conv3D: conv('Conv3D', kernelBias()),
  Conv2DTranspose: conv('Conv2DTranspose', kernelBias()),
  Conv3DTranspose: conv('Conv3DTranspose', kernelBias()),
  SeparableConv2D: conv('SeparableConv2D', (c) => [
    ['depthwise_kernel', true],
    ['pointwise_kernel', true],
    ...(c.use_bias !== false ? ([['bias', true]] as [string, boolean][]) : []),
  ]),
  DepthwiseConv2D: conv('DepthwiseConv2D', kernelBias('depthwise_kernel')),
  MaxPooling1D: pooling('MaxPooling1D'),
  MaxPooling2D: pooling('MaxPooling2D'),
  MaxPooling3D: pooling('MaxPooling3D'),
  AveragePooling1D: pooling('AveragePooling1D'),
  AveragePooling2D: pooling('AveragePooling2D'),
  AveragePooling3D: pooling('AveragePooling3D'),
  GlobalMaxPooling1D: pooling('GlobalMaxPooling1D'),
  GlobalMaxPooling2D: pooling('GlobalMaxPooling2D'),
  GlobalAveragePooling1D: pooling('GlobalAveragePooling1D'),
  GlobalAveragePooling2D: pooling('GlobalAveragePooling2D'),
  BatchNormalization: (object, config, context, depth, scope) => {
    if (config.renorm === true) throw refuse(String(config.name), object.className, 'it uses batch renormalization', 'Save it with renorm=False.');
    config.axis = single(config.axis);
    for (const key of ['renorm', 'renorm_clipping', 'renorm_momentum', 'fused', 'virtual_batch_size', 'adjustment']) delete config[key];
    return simple('BatchNormalization', (c) => [
      ...(c.scale !== false ? ([['gamma', true]] as [string, boolean][]) : []),
      ...(c.center !== false ? ([['beta', true]] as [string, boolean][]) : []),
      ['moving_mean', false],
      ['moving_variance', false],
    ])(object, config, context, depth, scope);
  },
  LayerNormalization: (object, config, context, depth, scope) => {
    if (config.rms_scaling === true)
      throw refuse(String(config.name), object.className, 'it uses RMS scaling', 'TensorFlow.js LayerNormalization has no RMS mode.');
    delete config.rms_scaling;
    return simple('LayerNormalization', (c) => [
      ...(c.scale !== false ? ([['gamma', true]] as [string, boolean][]) : []),
      ...(c.center !== false ? ([['beta', true]] as [string, boolean][]) : []),
    ])(object, config, context, depth, scope);
  },
  Embedding: simple('Embedding', () => [['embeddings', true]]),
  SimpleRNN: recurrent('SimpleRNN'),
  LSTM: recurrent('LSTM'),
  GRU: recurrent('GRU'),
  Bidirectional: (_object, config, context, depth, scope) => {
    const innerObject = kerasObject(config.layer, `layer of Bidirectional "${String(config.name)}"`);
    const innerName = String(innerObject.config.name ?? innerObject.className.toLowerCase());
    const forward = innerLayer(config.layer, context, depth, `${scope}/forward_${innerName}`);
    let backward: TranslatedLayer;
    if (config.backward_layer !== undefined && config.backward_layer !== null) {
      const backObject = kerasObject(config.backward_layer, `backward_layer of Bidirectional "${String(config.name)}"`);
      backward = innerLayer(config.backward_layer, context, depth, `${scope}/backward_${String(backObject.config.name)}`);
      config.backward_layer = backward.json;
    } else {
      backward = innerLayer(config.layer, context, depth, `${scope}/backward_${innerName}`);
      delete config.backward_layer;
    }
    // tfjs rebuilds both directions from the inner layer's live config, bypassing @modelbundle/tfjs's initializer guard,
    // and its Orthogonal initializer needs tensor methods only the tfjs umbrella package adds: the imported weights
    // replace every initial value anyway, so the inner layer is written with Zeros initializers.
    config.layer = zeroInitializers(forward.json);
    if (config.backward_layer) config.backward_layer = zeroInitializers(config.backward_layer);
    return {
      name: config.name as string,
      json: { class_name: 'Bidirectional', config },
      node: {
        kerasClass: 'Bidirectional',
        trainable: config.trainable !== false,
        vars: [],
        attrs: [
          ['forward_layer', forward.node],
          ['backward_layer', backward.node],
        ],
        layers: [],
      },
    };
  },
  TimeDistributed: (object, config, context, depth, scope) => {
    const inner = innerLayer(config.layer, context, depth, scope);
    config.layer = inner.json;
    return {
      name: config.name as string,
      json: { class_name: 'TimeDistributed', config },
      node: { kerasClass: object.className, trainable: config.trainable !== false, vars: [], attrs: [['layer', inner.node]], layers: [] },
    };
  },
  Add: simple('Add', none),
  Subtract: (object, config, context, depth, scope) => {
    context.kerasClasses.add('KerasSubtract');
    return simple('KerasSubtract', none)(object, config, context, depth, scope);
  },
  Multiply: simple('Multiply', none),
  Average: simple('Average', none),
  Maximum: simple('Maximum', none),
  Minimum: simple('Minimum', none),
  Concatenate: simple('Concatenate', none),
  Dot: simple('Dot', none),
  ReLU: (object, config, context, depth, scope) => {
    const slope = Number(config.negative_slope ?? 0);
    const threshold = Number(config.threshold ?? 0);
    if (slope !== 0 || threshold !== 0) {
      throw refuse(
        String(config.name),
        object.className,
        `it has negative_slope=${slope}, threshold=${threshold}; TensorFlow.js ReLU has only max_value`,
        'Use LeakyReLU for a negative slope.',
      );
    }
    delete config.negative_slope;
    delete config.threshold;
    return simple('ReLU', none)(object, config, context, depth, scope);
  },
  LeakyReLU: (object, config, context, depth, scope) => {
    // Keras 3 names the slope negative_slope (default 0.3); Keras 2 alpha (default 0.3).
    config.alpha = config.negative_slope ?? config.alpha ?? 0.3;
    delete config.negative_slope;
    return simple('LeakyReLU', none)(object, config, context, depth, scope);
  },
  PReLU: simple('PReLU', () => [['alpha', true]]),
  ELU: (object, config, context, depth, scope) => {
    if (config.alpha !== undefined && config.alpha !== 1) {
      throw refuse(
        String(config.name),
        object.className,
        `it has alpha=${String(config.alpha)}, and TensorFlow.js's ELU supports only alpha=1`,
        'Use alpha=1.0, or activation="elu" (alpha 1).',
      );
    }
    return simple('ELU', none)(object, config, context, depth, scope);
  },
  ThresholdedReLU: simple('ThresholdedReLU', none),
  Softmax: (object, config, context, depth, scope) => {
    config.axis = single(config.axis ?? -1);
    return simple('Softmax', none)(object, config, context, depth, scope);
  },
};

/** Classes refused because they hold code, with the reason. */
const CODE_LAYERS: Readonly<Record<string, string>> = {
  Lambda: 'a Lambda layer stores Python code (bytecode or a function name), and a bundle never runs code from a file',
  TFOpLambda: 'a TFOpLambda layer stands for a raw TensorFlow operation (Python code), and a bundle never runs code from a file',
  SlicingOpLambda: 'a SlicingOpLambda layer stands for Python slicing code, and a bundle never runs code from a file',
};

/** The tfjs class of a Keras layer where it is not the Keras class name (for the docs table). */
const TFJS_CLASS: Readonly<Record<string, string>> = {
  CenterCrop: "Cropping2D at Keras's offsets (input size known, not smaller than the target)",
  GRU: 'GRU (reset_after=False), KerasGRU (reset_after=True, registered)',
  Flatten: 'Flatten (identity on rank-2 input)',
  Subtract: 'KerasSubtract (registered)',
};

/** The Keras layer classes this package imports (for the docs table), with the tfjs class each becomes. */
export function supportedLayers(): [string, string][] {
  const out: [string, string][] = [];
  for (const name of Object.keys(HANDLERS).sort()) {
    if (name === 'RandomCrop') continue;
    const tfjs = HANDLERS[name] === identity ? 'identity (Activation linear)' : (TFJS_CLASS[name] ?? name);
    out.push([name, tfjs]);
  }
  return [...out, ['Sequential', 'Sequential'], ['Functional / Model', 'Model']];
}

/** The Keras classes refused with their reasons (for the docs). */
export function refusedLayers(): [string, string][] {
  return [...Object.entries(CODE_LAYERS), ['RandomCrop', 'not an identity at inference and TensorFlow.js has no equal: use CenterCrop']];
}

const MODEL_CLASSES = new Set(['Sequential', 'Functional', 'Model']);

/**
 * Translates one Keras layer (Keras 2 or 3 serialization) into tfjs's form.
 * `scope` is the prefix tfjs gives its weights (the layer's own name at the
 * top of a model, the wrapper's scope inside Bidirectional/TimeDistributed);
 * `input` what the model translator knows of the layer's input.
 */
export function translateLayer(
  value: unknown,
  context: TranslateContext,
  depth: number,
  scope?: string,
  nameOverride?: string,
  input: LayerInput = {},
): TranslatedLayer {
  if (depth > context.maxDepth) {
    throw new ModelBundleError('LIMIT_EXCEEDED', `The Keras model nests layers deeper than ${context.maxDepth} levels (limits.maxDepth).`);
  }
  if (++context.layerCount > context.maxLayers) {
    throw new ModelBundleError('LIMIT_EXCEEDED', `The Keras model has more than ${context.maxLayers} layers (limits.maxLayers).`);
  }
  const object = kerasObject(value, 'layer');
  const name = nameOverride ?? String(object.config.name ?? (isObject(value) ? value.name : undefined) ?? object.className);
  const code = CODE_LAYERS[object.className];
  if (code) {
    throw new ModelBundleError(
      'UNKNOWN_CLASS',
      `Layer "${name}" (${object.className}) cannot be imported: ${code}. Rewrite it as built-in Keras layers (or a registered custom layer with a tfjs implementation) and save the model again.`,
      { details: { layer: name, class: object.className } },
    );
  }
  if (MODEL_CLASSES.has(object.className) && isKerasBuiltin(object)) {
    const model = context.model(object, context, depth);
    model.node.name = name;
    return model;
  }
  const handler = HANDLERS[object.className];
  if (!handler || !isKerasBuiltin(object)) {
    const registered = object.registeredName ?? object.className;
    throw new ModelBundleError(
      'UNKNOWN_CLASS',
      `Layer "${name}" is the class "${registered}"${object.module ? ` from ${object.module}` : ''}, which has no TensorFlow.js equivalent this importer knows (a subclassed model, a custom class, or a layer tfjs lacks). Write a tfjs layer for it, register it with tf.serialization.registerClass, and translate its config yourself; or rebuild the model from built-in layers (see docs/guides/keras.md for the supported list).`,
      { details: { layer: name, class: registered } },
    );
  }
  const config = baseConfig(object, name);
  const translated = handler(object, config, context, depth, scope ?? name, input);
  translated.node.name = name;
  return translated;
}

/** tfjs classes whose output shape is their input's (the model translator follows shapes through them). */
const SAME_SHAPE = new Set([
  'Activation',
  'Dropout',
  'SpatialDropout1D',
  'Rescaling',
  'BatchNormalization',
  'LayerNormalization',
  'ReLU',
  'LeakyReLU',
  'ELU',
  'ThresholdedReLU',
  'Softmax',
]);

/** A translated layer's output shape, where it follows from its input shape (else undefined). */
function outputShape(layer: TranslatedLayer, input: Shape | undefined): Shape | undefined {
  const { class_name: className, config } = layer.json as { class_name: string; config: Json };
  if (className === 'InputLayer') return config.batch_input_shape as Shape;
  if (!input) return undefined;
  if (SAME_SHAPE.has(className)) return input;
  const cropping = config.cropping;
  if (className === 'Cropping2D' && config.data_format === 'channels_last' && Array.isArray(cropping) && cropping.every((p) => Array.isArray(p))) {
    const [b, h, w, c] = input;
    const [[top, bottom], [left, right]] = cropping as [[number, number], [number, number]];
    if (input.length === 4 && typeof h === 'number' && typeof w === 'number') return [b ?? null, h - top - bottom, w - left - right, c ?? null];
  }
  return undefined;
}

/**
 * Keras layers that hand a timestep mask on unchanged (supports_masking without a compute_mask of their own). Any
 * other layer ends the mask here, so a mask is only ever followed where Keras certainly keeps it.
 */
const MASK_PASSING = new Set([
  ...['Activation', 'ELU', 'LeakyReLU', 'PReLU', 'ReLU', 'Softmax', 'ThresholdedReLU', 'Dense', 'Identity', 'Rescaling'],
  ...['BatchNormalization', 'LayerNormalization', 'Dropout', 'SpatialDropout1D', 'SpatialDropout2D', 'SpatialDropout3D'],
  ...['GaussianDropout', 'GaussianNoise', 'AlphaDropout', 'ActivityRegularization'],
  ...['Add', 'Subtract', 'Multiply', 'Average', 'Maximum', 'Minimum', 'Concatenate'],
]);

/** Whether Keras attaches a timestep mask to a translated layer's output, given whether one reached its input. */
function outputMasked(layer: TranslatedLayer, masked: boolean): boolean {
  const kerasClass = layer.node.kerasClass;
  const config = layer.json.config as Json;
  if (kerasClass === 'Masking') return true;
  if (kerasClass === 'Embedding') return config.mask_zero === true;
  if (!masked) return false;
  if (['SimpleRNN', 'LSTM', 'GRU'].includes(kerasClass)) return config.return_sequences === true;
  if (kerasClass === 'Bidirectional') return isObject(config.layer) && isObject(config.layer.config) && config.layer.config.return_sequences === true;
  return MASK_PASSING.has(kerasClass);
}

/** What follows from a translated layer's input to its output (for the next layer's LayerInput). */
export function outputOf(layer: TranslatedLayer, input: LayerInput): LayerInput {
  return { shape: outputShape(layer, input.shape), masked: outputMasked(layer, input.masked === true) };
}
