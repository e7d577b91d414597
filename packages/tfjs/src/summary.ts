import type { LayersModel } from '@tensorflow/tfjs-layers';
import { elementCount } from './dtypes.js';
import { modelConfig, type TopologyDocument, type WeightEntry } from './manifest.js';

/** One model input or output: its name, shape (`null` = any size, first = batch) and dtype. */
export type TensorInfo = {
  name: string;
  shape: (number | null)[] | null;
  dtype: string;
};

/**
 * The input/output prototype of a tfjs model, as the predictor reads rows:
 * one entry per model input (rows give each input's value without the batch
 * dimension) and per output.
 */
export type TfjsPtype = {
  inputs: TensorInfo[];
  outputs: TensorInfo[];
};

/** What the header's `summary` records about a tfjs model. */
export type TfjsSummary = TfjsPtype & {
  kind: 'tfjs.sequential' | 'tfjs.functional';
  /** Top-level layer count (a nested model counts as one). */
  layers: number;
  /** Scalar count of all model weights (not optimizer state). */
  parameters: number;
  customClasses: string[];
  /** The tfjs backend active when the bundle was written. */
  backend: string | null;
  /** What wrote the topology: `tfjs-layers 4.22.0`, or the Keras version (e.g. `2.15.0`) of a converted model. */
  tfjsLayers: string;
  optimizer: boolean;
};

/** The kind of a topology: `tfjs.sequential` for a Sequential model, `tfjs.functional` otherwise. */
export function kindOf(doc: TopologyDocument): TfjsSummary['kind'] {
  return modelConfig(doc.modelTopology).class_name === 'Sequential' ? 'tfjs.sequential' : 'tfjs.functional';
}

/** Describes a model from its live object when given (exact output shapes), else from its topology alone. */
export function describeModel(
  doc: TopologyDocument,
  weights: readonly WeightEntry[],
  model: LayersModel | undefined,
  extra: Pick<TfjsSummary, 'customClasses' | 'backend' | 'tfjsLayers' | 'optimizer'>,
): TfjsSummary {
  const io = model ? modelPtype(model) : topologyTensors(doc);
  const layerList = layersOf(doc);
  return {
    kind: kindOf(doc),
    layers: model ? model.layers.length : layerList.filter((l) => l.class_name !== 'InputLayer' || kindOf(doc) !== 'tfjs.sequential').length,
    parameters: weights.filter((w) => w.group === undefined).reduce((sum, w) => sum + elementCount(w.shape), 0),
    ...io,
    ...extra,
  };
}

/**
 * The prototype of a live model. Names are layer names from the topology,
 * so they survive a round trip (tfjs renames input tensors to keep them
 * unique per process): a Sequential model's input is `<first layer>_input`,
 * its output the last layer's name.
 */
export function modelPtype(model: LayersModel): TfjsPtype {
  const sequential = model.getClassName() === 'Sequential';
  return {
    inputs: model.inputs.map((t, i) => ({
      name: sequential ? `${model.layers[0]?.name}_input` : (model.inputLayers[i]?.name ?? t.name),
      shape: [...t.shape],
      dtype: t.dtype,
    })),
    outputs: model.outputs.map((t, i) => ({
      name: (sequential ? model.layers[model.layers.length - 1]?.name : model.outputLayers[i]?.name) ?? t.name,
      shape: [...t.shape],
      dtype: t.dtype,
    })),
  };
}

type LayerJson = { class_name?: unknown; name?: unknown; config?: { name?: unknown; batch_input_shape?: unknown; dtype?: unknown } };

function layersOf(doc: TopologyDocument): LayerJson[] {
  const config = modelConfig(doc.modelTopology).config as { layers?: unknown } | unknown[] | undefined;
  const layers = Array.isArray(config) ? config : config?.layers;
  return Array.isArray(layers) ? (layers as LayerJson[]) : [];
}

/** Inputs and outputs as far as the topology tells them (output shapes need the built model: null here). */
function topologyTensors(doc: TopologyDocument): TfjsPtype {
  const layers = layersOf(doc);
  const nameOf = (l: LayerJson | undefined): string => String(l?.config?.name ?? l?.name ?? '');
  const tensorOf = (l: LayerJson | undefined, name: string): TensorInfo => ({
    name,
    shape: Array.isArray(l?.config?.batch_input_shape) ? (l.config.batch_input_shape as (number | null)[]) : null,
    dtype: typeof l?.config?.dtype === 'string' ? l.config.dtype : 'float32',
  });
  if (kindOf(doc) === 'tfjs.sequential') {
    // Keras writes an explicit InputLayer first; tfjs folds it into the first layer's batch_input_shape.
    const explicit = layers[0]?.class_name === 'InputLayer' ? layers[0] : undefined;
    const body = explicit ? layers.slice(1) : layers;
    const first = body[0];
    const last = body[body.length - 1];
    return {
      inputs: explicit ? [tensorOf(explicit, nameOf(explicit))] : first ? [tensorOf(first, `${nameOf(first)}_input`)] : [],
      outputs: last ? [{ name: nameOf(last), shape: null, dtype: 'float32' }] : [],
    };
  }
  const config = modelConfig(doc.modelTopology).config as { input_layers?: unknown[]; output_layers?: unknown[] } | undefined;
  const refName = (ref: unknown): string => (Array.isArray(ref) ? String(ref[0]) : String(ref));
  return {
    inputs: (config?.input_layers ?? []).map((ref) => {
      const name = refName(ref);
      return tensorOf(
        layers.find((l) => nameOf(l) === name),
        name,
      );
    }),
    outputs: (config?.output_layers ?? []).map((ref) => ({ name: refName(ref), shape: null, dtype: 'float32' })),
  };
}
