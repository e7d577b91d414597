import { ModelBundleError } from '@modelbundle/core';
import { envVar, preview } from '@modelbundle/core/internal';
import type { LayersModel } from '@tensorflow/tfjs-layers';

/**
 * Layers without weights can make a tiny model produce huge tensors:
 * RepeatVector(3e8), UpSampling2D with a huge size, ZeroPadding, Reshape to a
 * bigger shape, a Conv2DTranspose with huge strides... The weight guard
 * cannot see them (they have no weights). These checks compute every layer's
 * output shape with tfjs's own shape arithmetic (`computeOutputShape`, which
 * allocates nothing) and refuse what would not fit:
 *
 * - at restore, any layer whose output for ONE row holds more than
 *   {@link MAX_ROW_ELEMENTS} values (dimensions the model leaves open count as 1);
 * - before each predict, a batch whose rows, times every layer's output size
 *   for the real input shapes, add up to more than the request budget
 *   ({@link DEFAULT_REQUEST_ELEMENTS} unless configured).
 */

/**
 * Most values one layer output may hold for one row: 67,108,864 (256 MiB of float32; a
 * 1024 x 1024 x 64 feature map). The request budget bounds what a batch really allocates.
 */
export const MAX_ROW_ELEMENTS = 64 * 1024 * 1024;
/** Default most values all layer outputs of one predict call may hold together: 268,435,456 (1 GiB of float32). */
export const DEFAULT_REQUEST_ELEMENTS = 256 * 1024 * 1024;
/** Environment variable that sets the request budget of every tfjs predictor that is not given one (a positive integer). */
export const REQUEST_ELEMENTS_ENV = 'MODELBUNDLE_TFJS_MAX_REQUEST_ELEMENTS';

/** The request budget: `MODELBUNDLE_TFJS_MAX_REQUEST_ELEMENTS` when it is a positive integer, else {@link DEFAULT_REQUEST_ELEMENTS}. */
export function defaultRequestBudget(): number {
  const value = Number(envVar(REQUEST_ELEMENTS_ENV));
  return Number.isSafeInteger(value) && value > 0 ? value : DEFAULT_REQUEST_ELEMENTS;
}

type Shape = (number | null)[];

interface Internals {
  inputLayers: { name: string; id: number }[];
  nodesByDepth: Record<string, Node[]>;
  layers: Layer[];
}
interface Node {
  outboundLayer: Layer;
  inboundLayers: Layer[];
  nodeIndices: number[];
  tensorIndices: number[];
}
interface Layer {
  name: string;
  id: number;
  inboundNodes: Node[];
  computeOutputShape(shape: Shape | Shape[]): Shape | Shape[];
}

/** One layer output: which layer, and its shape (batch dimension first). */
interface LayerOutput {
  layer: string;
  shape: Shape;
}

/**
 * The output shape of every layer call in `model` (nested models walked into)
 * for the given input shapes, in build order. Throws whatever tfjs's shape
 * arithmetic throws for shapes it cannot handle.
 */
export function layerOutputShapes(model: LayersModel, inputShapes: Shape[]): LayerOutput[] {
  const outputs: LayerOutput[] = [];
  walkAny(model, inputShapes, '', outputs);
  return outputs;
}

/** A Sequential's layers are a chain (its graph is only made when it is first built); any other model has a graph. */
function walkAny(model: unknown, inputShapes: Shape[], prefix: string, outputs: LayerOutput[]): Shape[] {
  const sequential = model as { getClassName?(): string; layers: Layer[] };
  if (sequential.getClassName?.() !== 'Sequential') return walk(model as Internals, inputShapes, prefix, outputs);
  let shapes = inputShapes;
  for (const layer of sequential.layers) {
    if ((layer as unknown as { getClassName(): string }).getClassName() === 'InputLayer') continue;
    shapes = callShapes(layer, shapes, prefix, outputs);
    for (const shape of shapes) outputs.push({ layer: `${prefix}${layer.name}`, shape });
  }
  return shapes;
}

/** The output shapes of one layer call; a nested model is walked into, so its own layers count too. */
function callShapes(layer: Layer, ins: Shape[], prefix: string, outputs: LayerOutput[]): Shape[] {
  if ('nodesByDepth' in layer && 'inputLayers' in layer) return walkAny(layer, ins, `${prefix}${layer.name}/`, outputs);
  const own = CORRECTED[(layer as unknown as { getClassName(): string }).getClassName()];
  if (own) return [own(layer as unknown as Record<string, unknown>, ins[0] as Shape)];
  return normalize(layer.computeOutputShape(ins.length === 1 ? (ins[0] as Shape) : ins));
}

/**
 * Layers whose tfjs shape arithmetic is wrong (tfjs 4.22's Resizing returns
 * [height, width, channels], dropping the batch and mis-reading channels):
 * their output shape computed here instead.
 */
const CORRECTED: Record<string, (layer: Record<string, unknown>, input: Shape) => Shape> = {
  Resizing: (layer, input) => [input[0] ?? null, layer.height as number, layer.width as number, input[3] ?? null],
};

function walk(model: Internals, inputShapes: Shape[], prefix: string, outputs: LayerOutput[]): Shape[] {
  const shapes = new Map<string, Shape>();
  const inputIds = new Set(model.inputLayers.map((l) => l.id));
  model.inputLayers.forEach((layer, i) => {
    shapes.set(`${layer.name}_0_0`, inputShapes[i] as Shape);
  });
  const depths = Object.keys(model.nodesByDepth)
    .map(Number)
    .sort((a, b) => b - a);
  let last: Shape[] = inputShapes;
  for (const depth of depths) {
    for (const node of model.nodesByDepth[depth] ?? []) {
      const layer = node.outboundLayer;
      if (inputIds.has(layer.id)) continue;
      const ins = node.inboundLayers.map((inbound, j) => shapes.get(`${inbound.name}_${node.nodeIndices[j]}_${node.tensorIndices[j]}`) as Shape);
      const result = callShapes(layer, ins, prefix, outputs);
      const nodeIndex = layer.inboundNodes.indexOf(node);
      result.forEach((shape, j) => {
        shapes.set(`${layer.name}_${nodeIndex}_${j}`, shape);
        outputs.push({ layer: `${prefix}${layer.name}`, shape });
      });
      last = result;
    }
  }
  return last;
}

function normalize(shape: Shape | Shape[]): Shape[] {
  return Array.isArray(shape[0]) || shape.length === 0 ? (shape as Shape[]) : [shape as Shape];
}

/** Values in one row of a shape; an open dimension counts as 1. */
function rowElements(shape: Shape): number {
  let n = 1;
  for (const d of shape.slice(1)) n *= typeof d === 'number' && d > 0 ? d : 1;
  return n;
}

/** What the restore check found: the sum, per row, of every layer output (open dimensions as 1). */
export interface OutputProfile {
  /** Values per row summed over every layer output, for the model's declared input shapes. */
  rowElements: number;
  /** True when every dimension was known, so {@link OutputProfile.rowElements} is exact. */
  exact: boolean;
}

const profiles = new WeakMap<object, OutputProfile>();

/**
 * Refuses, with LIMIT_EXCEEDED, a model one of whose layers would output more
 * than {@link MAX_ROW_ELEMENTS} values for a single row. Called on every
 * restore, before any weight is loaded.
 */
export function checkRowOutputs(model: LayersModel): OutputProfile {
  const declared = model.inputs.map((t) => [null, ...t.shape.slice(1)] as Shape);
  let outputs: LayerOutput[];
  try {
    outputs = layerOutputShapes(model, declared);
  } catch {
    // Shapes tfjs cannot compute without every dimension: checked per request instead.
    const profile = { rowElements: 0, exact: false };
    profiles.set(model, profile);
    return profile;
  }
  let sum = 0;
  let exact = true;
  for (const { layer, shape } of outputs) {
    const n = rowElements(shape);
    if (shape.slice(1).some((d) => typeof d !== 'number')) exact = false;
    if (!(n <= MAX_ROW_ELEMENTS)) {
      throw new ModelBundleError(
        'LIMIT_EXCEEDED',
        `Layer ${preview(layer)} would output ${n} values for a single row (shape [${shape.map((d) => d ?? 'any').join(', ')}]); the limit is ${MAX_ROW_ELEMENTS} per row. No real model needs that; the bundle is damaged or hostile.`,
        { details: { layer: preview(layer), rowElements: n, limit: MAX_ROW_ELEMENTS } },
      );
    }
    sum += n;
  }
  const profile = { rowElements: sum, exact };
  profiles.set(model, profile);
  return profile;
}

/**
 * Refuses, with LIMIT_EXCEEDED, a predict call whose layer outputs would
 * hold more than `budget` values in all, for the real input shapes (batch
 * dimension included). Costs one walk over the layers, allocates nothing.
 */
export function checkRequestOutputs(model: LayersModel, inputShapes: number[][], budget = defaultRequestBudget()): void {
  const rows = inputShapes[0]?.[0] ?? 0;
  let profile = profiles.get(model);
  let total: number;
  if (profile?.exact) total = profile.rowElements * rows;
  else {
    try {
      total = 0;
      for (const { shape } of layerOutputShapes(model, inputShapes)) total += rowElements(shape) * (shape[0] ?? rows);
    } catch {
      return; // tfjs's own predict refuses the same shapes with its own error
    }
    if (!profile) {
      profile = { rowElements: 0, exact: false };
      profiles.set(model, profile);
    }
  }
  if (!(total <= budget)) {
    throw new ModelBundleError(
      'LIMIT_EXCEEDED',
      `Predicting these ${rows} rows would make the model's layers output ${total} values in all; the limit is ${budget} per request. Send fewer rows per request${rows > 1 ? '' : ' (one row is already too many: the model is too large for this budget)'}, or raise the budget (maxRequestElements, or the ${REQUEST_ELEMENTS_ENV} environment variable).`,
      { details: { rows, elements: total, limit: budget } },
    );
  }
}
