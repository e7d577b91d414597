import { sectionTable } from '../security/support/forge.js';
import type { Rng } from './rng.js';

/**
 * Structured lies about a tfjs topology, for the fuzzer: each finds the
 * topology section of a tfjs bundle (any JSON section with a `modelTopology`)
 * and rewires its functional graph, blows up a weightless layer's size, or
 * makes its recurrent layers stateful with a huge batch. The section table
 * is recomputed, so the lie reaches the serializer.
 */
type Json = any;
type Header = Record<string, Json>;

/** Sizes past every bound, and a few small ones that must still work. */
const HUGE = [100_000, 3_000_000, 100_000_000, 300_000_000, 2 ** 31 - 1, 2 ** 53 - 1];
const SMALL = [1, 2, 3, 7];
/** Batch sizes: small (honest) or far past the state cap; between the two, states up to 64 MiB are allowed by design. */
const BATCHES = [1, 2, 8, 10_000_000, 100_000_000, 2 ** 31 - 1];
/** Config keys that size a layer's output without weights. */
const GROWTH_KEYS = ['n', 'size', 'padding', 'strides', 'height', 'width', 'num_tokens', 'target_shape', 'cropping', 'dilation_rate'];

function withTopology(rng: Rng, header: Header, sections: Uint8Array[], edit: (topology: Json) => boolean): Header {
  const candidates = sections.map((data, i) => [i, data] as const).filter(([, data]) => data[0] === 0x7b);
  for (const [i, data] of candidates) {
    let doc: Json;
    try {
      doc = JSON.parse(new TextDecoder().decode(data));
    } catch {
      continue;
    }
    if (!doc || typeof doc.modelTopology !== 'object') continue;
    if (!edit(doc.modelTopology)) return header;
    sections[i] = new TextEncoder().encode(JSON.stringify(doc));
    header.sections = sectionTable(header.sections.map((s: Json, j: number) => [s.name, sections[j] as Uint8Array]));
    return header;
  }
  void rng;
  return header;
}

/** Every layer config list in a topology (the top model's and every nested model's). */
function layerLists(value: Json, out: Json[][] = [], depth = 0): Json[][] {
  if (value === null || typeof value !== 'object' || depth > 64) return out;
  if (Array.isArray(value)) {
    for (const item of value) layerLists(item, out, depth + 1);
    return out;
  }
  if (Array.isArray(value.layers) && value.layers.every((l: Json) => l && typeof l === 'object' && 'class_name' in l)) out.push(value.layers);
  for (const item of Object.values(value)) layerLists(item, out, depth + 1);
  return out;
}

function growValue(rng: Rng, old: Json): Json {
  const big = rng.pick(rng.chance(0.8) ? HUGE : SMALL);
  if (Array.isArray(old)) return old.map((item: Json) => (Array.isArray(item) ? item.map(() => big) : typeof item === 'number' ? big : item));
  return big;
}

export const TOPOLOGY_LIES: ((rng: Rng, header: Header, sections: Uint8Array[]) => Header)[] = [
  // A functional graph rewired: a call on a later layer (a cycle), on itself, on a node or layer that does not exist.
  (rng, header, sections) =>
    withTopology(rng, header, sections, (topology) => {
      const lists = layerLists(topology).filter((layers) => layers.some((l: Json) => Array.isArray(l.inbound_nodes) && l.inbound_nodes.length > 0));
      if (lists.length === 0) return false;
      const layers = rng.pick(lists);
      const called = layers.filter((l: Json) => Array.isArray(l.inbound_nodes) && l.inbound_nodes.length > 0);
      const layer = rng.pick(called);
      const target = rng.pick(layers);
      const name = rng.pick([target.name, layer.name, 'nowhere', '']);
      const node = rng.pick([0, 1, 2, 7, 2 ** 31, -1]);
      const tensor = rng.pick([0, 0, 1, 4095, 4096, 2 ** 40]);
      const call = rng.pick(layer.inbound_nodes as Json[][]);
      if (Array.isArray(call) && call.length > 0) call[rng.int(call.length)] = [name, node, tensor, {}];
      if (rng.chance(0.2)) topology.config.output_layers = [[rng.pick([target.name, 'nowhere']), node, 0]];
      if (rng.chance(0.1)) layers.reverse();
      return true;
    }),
  // A weightless layer told to grow its output.
  (rng, header, sections) =>
    withTopology(rng, header, sections, (topology) => {
      const configs = layerLists(topology)
        .flat()
        .map((l: Json) => l.config)
        .filter((c: Json) => c && GROWTH_KEYS.some((k) => k in c));
      if (configs.length === 0) return false;
      const config = rng.pick(configs);
      const key = rng.pick(GROWTH_KEYS.filter((k) => k in config));
      config[key] = growValue(rng, config[key]);
      return true;
    }),
  // Recurrent layers made stateful, with a batch size from small to far past the state cap, and more units or filters.
  (rng, header, sections) =>
    withTopology(rng, header, sections, (topology) => {
      const layers = layerLists(topology).flat();
      const recurrent = layers.filter((l: Json) => /RNN|LSTM|GRU/.test(String(l.class_name)));
      if (recurrent.length === 0) return false;
      const batch = rng.pick(BATCHES);
      for (const layer of recurrent) {
        layer.config.stateful = true;
        if (rng.chance(0.3) && typeof layer.config.units === 'number') layer.config.units = rng.pick([1, 4, 64]);
        if (rng.chance(0.3) && typeof layer.config.filters === 'number') layer.config.filters = rng.pick([1, 4, 64]);
      }
      for (const layer of layers) {
        const shape = layer.config?.batch_input_shape;
        if (Array.isArray(shape)) shape[0] = batch;
      }
      return true;
    }),
];
