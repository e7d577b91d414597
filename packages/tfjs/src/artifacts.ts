import { type DeferredSection, ModelBundleError, type SectionData } from '@modelbundle/core';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import * as tfl from '@tensorflow/tfjs-layers';
import { heapReader } from './backend.js';
import { buildGuarded } from './initializer-guard.js';

/** A tfjs layers model as `model.save` describes it: topology, weight specs and weight bytes. */
export type ModelArtifacts = tf.io.ModelArtifacts;

/**
 * Artifacts as a bundle is made from them: tfjs's own, or with each
 * weight's bytes given as a view, in spec order (tfjs's type holds whole
 * buffers only, and its loader ignores a view's offset). Views are bundled
 * without a copy; do not change their bytes while the bundle is in use. A
 * list may also give a weight as a {@link DeferredSection} (then every
 * entry is one weight's bytes), read only when the bundle is written.
 */
export type BundlableArtifacts = Omit<ModelArtifacts, 'weightData'> & { weightData?: tf.io.WeightData | SectionData[] };

/**
 * The artifacts of a live model, with the topology and weight order exactly
 * as tfjs's own `save` writes them. A layer that cannot be serialized gives
 * SERIALIZATION_FAILED naming it.
 */
export async function artifactsFromModel(model: LayersModel, includeOptimizer: boolean, deferWeights = false): Promise<BundlableArtifacts> {
  assertSerializableLayers(model);
  let artifacts: BundlableArtifacts | undefined;
  try {
    artifacts = await liveArtifacts(model, deferWeights);
    if (artifacts && model.optimizer) {
      // tfjs keeps the training config only with the optimizer state; keep it always, so the restored model is compiled alike.
      artifacts.trainingConfig = (model as unknown as { getTrainingConfig(): tf.io.TrainingConfig }).getTrainingConfig();
      if (includeOptimizer) await appendOptimizerWeights(artifacts, model.optimizer);
    }
  } catch (cause) {
    throw new ModelBundleError(
      'SERIALIZATION_FAILED',
      `TensorFlow.js could not serialize the model "${model.name}": ${(cause as Error).message}. Every custom layer needs a static className, a getConfig() that returns plain data, and tf.serialization.registerClass(...); with includeOptimizer, the optimizer must support getWeights() (Adamax does not).`,
      { cause },
    );
  }
  if (!artifacts) throw new ModelBundleError('INTERNAL', 'model.save() finished without handing its artifacts to the save handler.');
  return artifacts;
}

/**
 * What `model.save` hands its IOHandler, built the same way (topology from
 * `toJSON`, weights in `model.weights` order under their original names),
 * except that each weight keeps its own buffer: tfjs's save joins all
 * weights into one new buffer, a full extra copy that also caps a model at
 * 4 GiB (the largest typed array). On the cpu backend the buffers are the
 * tensors' own storage (tensors are immutable), so nothing is copied.
 */
async function liveArtifacts(model: LayersModel, deferWeights: boolean): Promise<BundlableArtifacts> {
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const weightData: SectionData[] = [];
  // Only wasm's weights can be read a slice at a time (from its heap); elsewhere they are read now, as always.
  const heap = deferWeights ? heapReader() : undefined;
  for (const w of model.weights) {
    const tensor = w.read();
    weightSpecs.push({ name: w.originalName, shape: [...tensor.shape], dtype: tensor.dtype as tf.io.WeightsManifestEntry['dtype'] });
    if (heap) {
      weightData.push(deferredWeight(w, tensor.size * (tensor.dtype === 'bool' ? 1 : 4), heap));
      continue;
    }
    const values = (await tensor.data()) as Float32Array | Int32Array | Uint8Array;
    const whole = values.byteOffset === 0 && values.byteLength === values.buffer.byteLength;
    weightData.push(new Uint8Array(whole ? values.buffer : values.slice().buffer));
  }
  const metadata = model.getUserDefinedMetadata();
  return {
    modelTopology: model.toJSON(null, false) as tf.io.ModelArtifacts['modelTopology'],
    format: 'layers-model',
    generatedBy: `TensorFlow.js tfjs-layers v${tfl.version_layers}`,
    convertedBy: null,
    weightSpecs,
    weightData,
    ...(metadata ? { userDefinedMetadata: metadata as Record<string, object> } : {}),
  };
}

/**
 * A weight whose bytes are copied out of the backend's heap a slice at a
 * time, as the bundle's writer asks for them, into the writer's buffers:
 * the weights are never copied out whole.
 */
function deferredWeight(weight: LayersModel['weights'][number], byteLength: number, heap: (tensor: tf.Tensor) => Uint8Array): DeferredSection {
  return {
    byteLength,
    read(start, end, into) {
      let bytes: Uint8Array;
      try {
        bytes = heap(weight.read());
      } catch (cause) {
        throw new ModelBundleError(
          'INVALID_ARGUMENT',
          `Weight "${weight.originalName}" could not be read while its section was written: ${(cause as Error).message}. With deferWeights, keep the model (not disposed) until the bundle is written.`,
          { cause },
        );
      }
      into.set(bytes.subarray(start, end));
      return into.subarray(0, end - start);
    },
  };
}

/**
 * Adds the optimizer's weights (group `optimizer`) as tfjs's own save does,
 * but also disposes the iteration-count scalar `getWeights()` creates on
 * each call, which tfjs's save leaks.
 */
async function appendOptimizerWeights(artifacts: BundlableArtifacts, optimizer: tf.Optimizer): Promise<void> {
  const named = await optimizer.getWeights();
  try {
    const specs: tf.io.WeightsManifestEntry[] = [];
    const values: Uint8Array[] = [];
    // One entry per weight, as liveArtifacts gives them (encodeWeights would join them into one buffer).
    for (const { name, tensor } of named) {
      const data = (await tensor.data()) as Float32Array | Int32Array | Uint8Array;
      specs.push({ name, shape: [...tensor.shape], dtype: tensor.dtype as tf.io.WeightsManifestEntry['dtype'], group: 'optimizer' });
      values.push(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    }
    artifacts.weightSpecs = [...(artifacts.weightSpecs ?? []), ...specs];
    artifacts.weightData = [...((artifacts.weightData as SectionData[] | undefined) ?? []), ...values];
  } finally {
    for (const { tensor } of named) if (!(tensor instanceof tf.Variable)) tensor.dispose();
  }
}

/** Every layer, nested models included, must name its class: tfjs would otherwise write `class_name: null`. */
function assertSerializableLayers(model: LayersModel): void {
  const visit = (layer: tfl.layers.Layer): void => {
    const className = (layer.constructor as { className?: unknown }).className;
    if (typeof className !== 'string' || className.length === 0) {
      throw new ModelBundleError(
        'SERIALIZATION_FAILED',
        `Layer "${layer.name}" (class ${layer.constructor.name}) has no static className, so it cannot be saved. Add \`static className = '${layer.constructor.name}'\`, a getConfig() method, and call tf.serialization.registerClass(${layer.constructor.name}).`,
        { details: { layer: layer.name } },
      );
    }
    const inner = (layer as { layers?: tfl.layers.Layer[] }).layers;
    if (Array.isArray(inner)) for (const child of inner) visit(child);
  };
  for (const layer of model.layers) visit(layer);
}

/**
 * Builds a model from validated artifacts with tfjs's own loader (training
 * config included), its initializers guarded by the weight specs, then loads
 * the model and optimizer weights: `weights` gives each weight's bytes (or
 * reads them on demand), made into tensors one at a time (see
 * {@link tensorsFromViews}); otherwise they are decoded from
 * `artifacts.weightData` as tfjs's loader does (one copy per weight).
 */
export async function modelFromArtifacts(artifacts: ModelArtifacts, weights?: WeightBytes): Promise<LayersModel> {
  try {
    // A topology that lies about shapes fails here, before allocating. Every weight is set next (or the model is
    // disposed), so on wasm the build need not zero them first.
    const model = await buildGuarded(artifacts, { unwritten: true });
    // tfjs compiles a loaded model with an optimizer it made but marks it as not owned, so
    // model.dispose() would leak the optimizer's variables (also when setting a weight fails). This model is the only user.
    if (model.optimizer) (model as unknown as { isOptimizerOwned: boolean }).isOptimizerOwned = true;
    try {
      await loadWeights(model, artifacts, weights);
    } catch (cause) {
      model.dispose();
      throw cause;
    }
    return model;
  } catch (cause) {
    if (cause instanceof ModelBundleError) throw cause;
    throw new ModelBundleError(
      'SERIALIZATION_FAILED',
      `TensorFlow.js could not rebuild the model: ${(cause as Error).message}. The bundle may need a newer @tensorflow/tfjs-layers or a custom class registered with tf.serialization.registerClass(...).`,
      { cause },
    );
  }
}

/**
 * Tensors viewing the given little-endian weight bytes, by weight name. On
 * the cpu backend a tensor keeps the typed array it is given, so a weight
 * whose bytes are 4-byte aligned (every section is 64-byte aligned) is not
 * copied at all; wasm and webgl copy each weight once into their own memory.
 * tfjs's own loader (`decodeWeights`) copies every weight first. The bytes
 * must not change afterwards: the model may share them.
 */
export function tensorsFromViews(specs: readonly tf.io.WeightsManifestEntry[], bytes: WeightViews): tf.NamedTensorMap {
  const out: tf.NamedTensorMap = {};
  try {
    for (const [i, spec] of specs.entries()) out[spec.name] = tensorFromView(spec, bytes[i] as Uint8Array);
  } catch (cause) {
    tf.dispose(Object.values(out));
    throw cause;
  }
  return out;
}

function tensorFromView(spec: tf.io.WeightsManifestEntry, bytes: Uint8Array): tf.Tensor {
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
  switch (spec.dtype) {
    case 'float32':
      return tf.tensor(new Float32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 4), spec.shape, 'float32');
    case 'int32':
      return tf.tensor(new Int32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 4), spec.shape, 'int32');
    case 'bool':
      return tf.tensor(bytes, spec.shape, 'bool');
    default: {
      // complex64 (and anything else tfjs adds): its own decoder, on a copy of this weight alone.
      const decoded = tf.io.decodeWeights(bytes.slice().buffer as ArrayBuffer, [spec]);
      return decoded[spec.name] as tf.Tensor;
    }
  }
}

/** Sets every model weight (strictly: each one the model has, no other) and the optimizer's state, as tfjs's loader does. */
async function loadWeights(model: LayersModel, artifacts: ModelArtifacts, weights?: WeightBytes): Promise<void> {
  if (!weights && artifacts.weightData === undefined) return;
  const specs = artifacts.weightSpecs ?? [];
  const variables = weights ? variablesBySpec(model, specs) : undefined;
  if (weights && variables) {
    const weight = isWeightReader(weights) ? (i: number) => weights.weight(i) : async (i: number) => weights[i] as Uint8Array;
    await setOneByOne(variables, specs, weight);
    if (!model.optimizer) return;
    const optimizer: { name: string; tensor: tf.Tensor }[] = [];
    try {
      for (const [i, spec] of specs.entries())
        if (spec.group === 'optimizer') optimizer.push({ name: spec.name, tensor: tensorFromView(spec, await weight(i)) });
      if (optimizer.length > 0) await model.optimizer.setWeights(optimizer);
    } finally {
      tf.dispose(optimizer.map((n) => n.tensor));
    }
    return;
  }
  const views = isWeightReader(weights) ? await weights.all() : weights;
  const tensors = views ? tensorsFromViews(specs, views) : tf.io.decodeWeights(artifacts.weightData as tf.io.WeightData, specs);
  try {
    const modelWeights: tf.NamedTensorMap = {};
    const optimizerWeights: { name: string; tensor: tf.Tensor }[] = [];
    for (const spec of specs) {
      const tensor = tensors[spec.name] as tf.Tensor;
      if (spec.group === 'optimizer') optimizerWeights.push({ name: spec.name, tensor });
      else modelWeights[spec.name] = tensor;
    }
    // Each variable takes over its tensor's storage (Variable.assign keeps the data id): no copy here.
    model.loadWeights(modelWeights, true);
    if (model.optimizer && optimizerWeights.length > 0) await model.optimizer.setWeights(optimizerWeights);
  } finally {
    tf.dispose(Object.values(tensors));
  }
}

/** Each weight's little-endian bytes, in weight-spec order. */
export type WeightViews = readonly Uint8Array[];

/**
 * Weights read on demand (from a file, one section at a time). `weight(i)`
 * is asked for in spec order and each answer is made into a tensor before
 * the next question, so a reader may give views into one buffer it reuses
 * (on a backend that copies what it is given). `all()` gives every weight
 * at once, each in memory of its own.
 */
export interface WeightReader {
  weight(index: number): Promise<Uint8Array>;
  all(): Promise<WeightViews>;
}

/** Where {@link modelFromArtifacts} takes the weights from: all at hand, or read on demand. */
export type WeightBytes = WeightViews | WeightReader;

function isWeightReader(weights: WeightBytes | undefined): weights is WeightReader {
  return weights !== undefined && !Array.isArray(weights);
}

type ModelVariable = LayersModel['weights'][number];

/**
 * The model's variables by name when the specs name exactly the model's
 * weights (as a bundle written by this package does), with the same shapes
 * and dtypes; undefined when they do not line up exactly (then tfjs's own
 * matching, `loadWeights`, sets them).
 */
function variablesBySpec(model: LayersModel, specs: readonly tf.io.WeightsManifestEntry[]): Map<string, ModelVariable> | undefined {
  const variables = new Map<string, ModelVariable>();
  for (const layer of model.layers) {
    for (const variable of layer.weights) {
      if (variables.has(variable.originalName)) return undefined;
      variables.set(variable.originalName, variable);
    }
  }
  const modelSpecs = specs.filter((spec) => spec.group !== 'optimizer');
  if (modelSpecs.length !== variables.size) return undefined;
  for (const spec of modelSpecs) {
    const variable = variables.get(spec.name);
    if (!variable || variable.dtype !== spec.dtype || variable.shape.length !== spec.shape.length || variable.shape.some((d, i) => d !== spec.shape[i]))
      return undefined;
  }
  return variables;
}

/**
 * Sets the model's weights one at a time: each tensor is made, handed to its
 * variable and let go before the next is made, so a backend with its own
 * heap (wasm) reuses the memory of the placeholder each variable held
 * instead of growing by the whole model, and a reader may reuse one buffer.
 */
async function setOneByOne(
  variables: ReadonlyMap<string, ModelVariable>,
  specs: readonly tf.io.WeightsManifestEntry[],
  weight: (index: number) => Promise<Uint8Array>,
): Promise<void> {
  for (const [i, spec] of specs.entries()) {
    if (spec.group === 'optimizer') continue;
    const tensor = tensorFromView(spec, await weight(i));
    try {
      // As tfjs's batchSetValue: write checks the shape, keeps the tensor's storage and applies the variable's constraint.
      tf.tidy(() => {
        (variables.get(spec.name) as ModelVariable).write(tensor);
      });
    } finally {
      tensor.dispose();
    }
  }
}
