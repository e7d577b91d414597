import { ModelBundleError } from '@modelbundle/core';
import { isRecord, preview } from '@modelbundle/core/internal';
import { forEachRecord } from './topology-walk.js';

/**
 * tfjs rebuilds a functional model by queueing every layer call (an entry of
 * `inbound_nodes`) and sweeping the queue until it is empty; a call whose
 * input does not exist yet is put back. A call that names a layer or node
 * that never comes to exist, or calls that wait on each other (a cycle),
 * are put back forever: the reader spins at 100% CPU. This check replays
 * tfjs's sweep on the topology's plain data (counting nodes, building
 * nothing) and refuses, with MALFORMED, any graph that sweep would not
 * finish, before tfjs sees it.
 */

/** Most sweeps tfjs may need: honest topologies are written in build order (one sweep; shared layers a few more). */
export const MAX_GRAPH_SWEEPS = 64;
/** Most layer calls (inbound node entries, all nested models together) a topology may hold. */
export const MAX_GRAPH_CALLS = 1_000_000;
/** Most outputs one layer call may be asked for (tensor index). */
const MAX_TENSOR_INDEX = 4096;

/** Classes whose instances own a node before any call: the input layer, and a model (its own inputs to outputs). */
const OWN_FIRST_NODE = new Set(['InputLayer', 'Model', 'Functional', 'Sequential']);
const CONTAINERS = new Set(['Model', 'Functional']);

interface Reference {
  layer: string;
  node: number;
  tensor: number;
}

/** Checks every functional model in a topology (the top one and every nested one). */
export function checkTopologyGraph(topology: unknown): void {
  let calls = 0;
  forEachRecord(topology, (record) => {
    const className = record.class_name ?? record.className;
    const config = record.config;
    if (typeof className === 'string' && CONTAINERS.has(className) && isRecord(config)) calls += checkFunctional(config, calls);
  });
}

/** Replays tfjs's sweep over one functional config; returns how many calls it holds. */
function checkFunctional(config: Record<string, unknown>, callsSoFar: number): number {
  const model = typeof config.name === 'string' ? config.name : '(model)';
  const layers = config.layers;
  if (!Array.isArray(layers)) throw graphError(model, 'its "layers" is not a list');
  const names = new Map<string, number>();
  const queue: { layer: string; calls: Reference[][] }[] = [];
  const nodes = new Map<string, number>();
  let total = 0;
  for (const [i, layer] of layers.entries()) {
    if (!isRecord(layer)) throw graphError(model, `layer ${i} is not an object`);
    const layerConfig = isRecord(layer.config) ? layer.config : {};
    const name = layer.name ?? layerConfig.name;
    if (typeof name !== 'string') throw graphError(model, `layer ${i} has no name`);
    if (typeof layerConfig.name === 'string' && layerConfig.name !== name) {
      throw graphError(model, `layer ${i} is named ${preview(name)} but its config names it ${preview(layerConfig.name)}`);
    }
    if (names.has(name)) throw graphError(model, `two layers are named ${preview(name)}`);
    names.set(name, i);
    const className = layer.class_name ?? layer.className;
    nodes.set(name, typeof className === 'string' && OWN_FIRST_NODE.has(className) ? 1 : 0);
    const inbound = layer.inbound_nodes ?? layer.inboundNodes ?? [];
    if (!Array.isArray(inbound)) throw graphError(model, `layer ${preview(name)} has "inbound_nodes" that is not a list`);
    total += inbound.length;
    if (callsSoFar + total > MAX_GRAPH_CALLS) {
      throw new ModelBundleError(
        'LIMIT_EXCEEDED',
        `The model topology holds more than ${MAX_GRAPH_CALLS} layer calls; no real model does. The bundle is damaged or hostile.`,
        { details: { limit: MAX_GRAPH_CALLS } },
      );
    }
    queue.push({ layer: name, calls: inbound.map((call, c) => readCall(call, model, name, c)) });
  }
  const inputs = readEnds(config.input_layers ?? config.inputLayers, model, 'input_layers');
  const outputs = readEnds(config.output_layers ?? config.outputLayers, model, 'output_layers');

  // tfjs's sweep: per layer in config order, its waiting calls in order; a call runs when
  // every input's layer exists and already has that node; a call with inputs adds a node.
  let waiting = queue.filter((q) => q.calls.length > 0);
  for (let sweep = 0; waiting.length > 0; sweep++) {
    if (sweep === MAX_GRAPH_SWEEPS) {
      throw graphError(model, `its layers are not in an order tfjs can build in ${MAX_GRAPH_SWEEPS} passes`);
    }
    let progressed = false;
    const next: typeof waiting = [];
    for (const entry of waiting) {
      const left: Reference[][] = [];
      for (const call of entry.calls) {
        if (call.every((ref) => (nodes.get(ref.layer) ?? -1) > ref.node)) {
          if (call.length > 0) nodes.set(entry.layer, (nodes.get(entry.layer) as number) + 1);
          progressed = true;
        } else left.push(call);
      }
      if (left.length > 0) next.push({ layer: entry.layer, calls: left });
    }
    if (!progressed) throw unresolved(model, next, names, nodes);
    waiting = next;
  }
  for (const [role, ends] of [
    ['input', inputs],
    ['output', outputs],
  ] as const) {
    for (const ref of ends) {
      if (!names.has(ref.layer)) throw graphError(model, `its ${role} names layer ${preview(ref.layer)}, which it does not have`);
      if ((nodes.get(ref.layer) as number) <= ref.node) {
        throw graphError(model, `its ${role} names node ${ref.node} of layer ${preview(ref.layer)}, which has ${nodes.get(ref.layer)}`);
      }
    }
  }
  return total;
}

/** The first call no sweep can run, named with the reference it waits for. */
function unresolved(
  model: string,
  waiting: { layer: string; calls: Reference[][] }[],
  names: Map<string, number>,
  nodes: Map<string, number>,
): ModelBundleError {
  const entry = waiting[0] as { layer: string; calls: Reference[][] };
  const call = entry.calls[0] as Reference[];
  const ref = call.find((r) => (nodes.get(r.layer) ?? -1) <= r.node) as Reference;
  const why = !names.has(ref.layer)
    ? `layer ${preview(ref.layer)}, which the model does not have`
    : `node ${ref.node} of layer ${preview(ref.layer)}, which never comes to exist (a dangling reference or a cycle)`;
  return graphError(model, `layer ${preview(entry.layer)} is called on ${why}`, { layer: entry.layer, waitsFor: ref.layer, node: ref.node });
}

function readCall(call: unknown, model: string, layer: string, index: number): Reference[] {
  if (!Array.isArray(call)) throw graphError(model, `call ${index} of layer ${preview(layer)} is not a list`);
  return call.map((ref) => readReference(ref, model, `call ${index} of layer ${preview(layer)}`));
}

function readEnds(value: unknown, model: string, field: string): Reference[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw graphError(model, `its "${field}" is not a list`);
  return value.map((ref) => readReference(ref, model, `"${field}"`));
}

function readReference(ref: unknown, model: string, where: string): Reference {
  if (!Array.isArray(ref) || typeof ref[0] !== 'string' || !isIndex(ref[1], Number.MAX_SAFE_INTEGER) || !isIndex(ref[2], MAX_TENSOR_INDEX)) {
    throw graphError(model, `${where} holds a reference that is not [layer name, node index, tensor index]`);
  }
  return { layer: ref[0], node: ref[1] as number, tensor: ref[2] as number };
}

function isIndex(value: unknown, max: number): boolean {
  return Number.isSafeInteger(value) && (value as number) >= 0 && (value as number) < max;
}

function graphError(model: string, what: string, details: Record<string, unknown> = {}): ModelBundleError {
  return new ModelBundleError(
    'MALFORMED',
    `The layer graph of model ${preview(model)} cannot be built: ${what}. TensorFlow.js would wait for it forever; the bundle is damaged or hostile. Re-save the model from its source.`,
    { details: { model: preview(model), ...details } },
  );
}
