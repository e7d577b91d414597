import { ModelBundleError } from '@modelbundle/core';
import { isObject, type Json, type KerasObject, kerasObject } from './keras-json.js';
import { type LayerInput, outputOf, type Shape, type TranslateContext, type TranslatedLayer, translateLayer } from './layers.js';
import type { WeightNode } from './weight-node.js';

/** A tensor reference in tfjs's inbound-node form: [layer, node index, tensor index, kwargs]. */
type TensorRef = [string, number, number, Json];

function malformed(what: string): ModelBundleError {
  return new ModelBundleError('MALFORMED', `The Keras model config is damaged: ${what}. Save the model again.`);
}

/** A Keras 3 `__keras_tensor__` object or a Keras 2 [layer, node, tensor, kwargs?] list as a reference. */
function tensorRef(value: unknown): TensorRef | undefined {
  if (isObject(value) && value.class_name === '__keras_tensor__' && isObject(value.config)) {
    const history = value.config.keras_history;
    if (Array.isArray(history) && typeof history[0] === 'string') return [history[0], Number(history[1] ?? 0), Number(history[2] ?? 0), {}];
    throw malformed('a tensor has no keras_history');
  }
  if (Array.isArray(value) && typeof value[0] === 'string' && typeof value[1] === 'number') return [value[0], value[1], Number(value[2] ?? 0), {}];
  return undefined;
}

/** Every tensor reference in a value, depth first (Keras 3 args may nest lists of tensors). */
function tensorsIn(value: unknown, depth = 0): TensorRef[] {
  if (depth > 8) return [];
  const ref = tensorRef(value);
  if (ref) return [ref];
  if (Array.isArray(value)) return value.flatMap((v) => tensorsIn(v, depth + 1));
  return [];
}

/** One layer's inbound nodes in tfjs's form, from Keras 2 lists or Keras 3 {args, kwargs} objects. */
function inboundNodes(value: unknown, layer: string): TensorRef[][] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw malformed(`the inbound_nodes of "${layer}" are not a list`);
  return value.map((node) => {
    if (isObject(node)) {
      const kwargs = isObject(node.kwargs) ? node.kwargs : {};
      for (const key of ['initial_state', 'constants']) {
        if (tensorsIn(kwargs[key]).length > 0) {
          throw new ModelBundleError(
            'UNKNOWN_CLASS',
            `Layer "${layer}" is called with ${key} tensors, which the tfjs topology cannot express. Export the model without them.`,
          );
        }
      }
      return tensorsIn(node.args);
    }
    if (Array.isArray(node))
      return node.map(
        (ref) =>
          tensorRef(ref) ??
          (() => {
            throw malformed(`an inbound node of "${layer}" is not a tensor reference`);
          })(),
      );
    throw malformed(`an inbound node of "${layer}" is neither a list nor an {args, kwargs} object`);
  });
}

/** Keras 3 writes one input as a bare [name, 0, 0] and dict inputs as an object: tfjs wants a list of lists. */
function endpoints(value: unknown, what: string): [string, number, number][] {
  const list = isObject(value) ? Object.values(value) : value;
  if (!Array.isArray(list)) throw malformed(`${what} is not a list`);
  const refs = typeof list[0] === 'string' ? [list] : list;
  return refs.map((ref) => {
    const r = tensorRef(ref);
    if (!r) throw malformed(`${what} holds something that is not a [layer, node, tensor] reference`);
    return [r[0], r[1], r[2]];
  });
}

/** The input shape a layer config declares (Keras 3's batch_shape, Keras 2's batch_input_shape). */
function declaredShape(raw: unknown): Shape | undefined {
  const config = isObject(raw) && isObject(raw.config) ? raw.config : undefined;
  const shape = config?.batch_shape ?? config?.batch_input_shape;
  return Array.isArray(shape) ? (shape as Shape) : undefined;
}

/**
 * A Keras Sequential or Functional model (top level or nested) in tfjs's
 * topology form. Sequential configs may be Keras 2's bare list of layers; a
 * Sequential without an InputLayer takes its input shape from
 * build_input_shape / build_config.
 */
export function translateModel(object: KerasObject, context: TranslateContext, depth: number): TranslatedLayer {
  const config = object.config;
  const name = String(config.name ?? object.raw.name ?? 'model');
  const rawLayers = config.layers;
  if (!Array.isArray(rawLayers)) throw malformed(`the model "${name}" lists no layers`);
  const trainable = config.trainable !== false;
  if (object.className === 'Sequential') {
    const buildShape = config.build_input_shape ?? (isObject(object.raw.build_config) ? object.raw.build_config.input_shape : undefined);
    // Each layer learns what follows from the model input: its input shape (CenterCrop and 3D 'same' padding need
    // it) and whether Keras masks it.
    let next: LayerInput = { shape: Array.isArray(buildShape) ? (buildShape as Shape) : undefined };
    const layers = rawLayers.map((l) => {
      const input = { ...next, shape: declaredShape(l) ?? next.shape };
      const translated = translateLayer(l, context, depth + 1, undefined, undefined, input);
      next = outputOf(translated, input);
      return translated;
    });
    const body = layers.filter((l) => l.json.class_name !== 'InputLayer' || layers.indexOf(l) > 0);
    const first = layers[0];
    if (first && first.json.class_name !== 'InputLayer' && Array.isArray(buildShape)) {
      const c = first.json.config as Json;
      if (!Array.isArray(c.batch_input_shape)) c.batch_input_shape = buildShape;
    }
    const node: WeightNode = {
      kerasClass: 'Sequential',
      trainable,
      vars: [],
      attrs: [],
      layers: body.filter((l) => l.json.class_name !== 'InputLayer').map((l) => l.node),
    };
    let jsonLayers = layers.map((l) => l.json);
    const second = layers[1];
    if (first?.json.class_name === 'InputLayer' && second) {
      // tfjs cannot call a nested Sequential that starts with an InputLayer (graph disconnected), and at the top level
      // tfjs and the bundle's prototype would name the input differently: fold its shape into the next layer, as tfjs's
      // own Sequential models are written (the input is then named "<first layer>_input").
      const input = first.json.config as Json;
      jsonLayers = [{ ...second.json, config: { ...(second.json.config as Json), batch_input_shape: input.batch_input_shape } }, ...jsonLayers.slice(2)];
    }
    return { name, json: { class_name: 'Sequential', config: { name, layers: jsonLayers } }, node };
  }
  // What follows from the model inputs to each layer called once, by name.
  const outputs = new Map<string, LayerInput>();
  const layers = rawLayers.map((raw) => {
    if (!isObject(raw)) throw malformed(`a layer of "${name}" is not an object`);
    const layerObject = kerasObject(raw, 'layer');
    const layerName = String(raw.name ?? layerObject.config.name);
    const inbound = inboundNodes(raw.inbound_nodes, layerName);
    const refs = (inbound.length === 1 ? inbound[0] : undefined) ?? [];
    const known = refs.map((ref) => (ref[1] === 0 && ref[2] === 0 ? outputs.get(ref[0]) : undefined));
    // The shape of a single input; a mask where any input has one (Keras merges combine their inputs' masks).
    const input = { shape: known.length === 1 ? known[0]?.shape : undefined, masked: known.some((k) => k?.masked) };
    const translated = translateLayer(raw, context, depth + 1, undefined, layerName, input);
    if (inbound.length <= 1) outputs.set(layerName, outputOf(translated, input));
    return { translated, inbound };
  });
  // A nested model's node 0 in tfjs is its own internal node, so its calls in the outer graph count from 1;
  // Keras numbers them from 0.
  const nested = new Set(
    layers.filter(({ translated }) => ['Sequential', 'Model'].includes(String(translated.json.class_name))).map(({ translated }) => translated.name),
  );
  const shift = <T extends [string, number, ...unknown[]]>(ref: T): T => (nested.has(ref[0]) ? ([ref[0], ref[1] + 1, ...ref.slice(2)] as unknown as T) : ref);
  for (const layer of layers) layer.inbound = layer.inbound.map((node) => node.map(shift));
  const json = {
    class_name: 'Model',
    config: {
      name,
      trainable,
      layers: layers.map(({ translated, inbound }) => ({
        name: translated.name,
        class_name: translated.json.class_name,
        config: translated.json.config,
        inbound_nodes: inbound,
      })),
      input_layers: endpoints(config.input_layers, `the inputs of "${name}"`),
      output_layers: endpoints(config.output_layers, `the outputs of "${name}"`).map(shift),
    },
  };
  const node: WeightNode = {
    kerasClass: object.className === 'Model' ? 'Functional' : object.className,
    trainable,
    vars: [],
    attrs: [],
    layers: layers.map((l) => l.translated.node),
  };
  return { name, json, node };
}
