/**
 * Where a layer's weights live, as a tree that mirrors how Keras walks a
 * model when it saves: the layer's own variables in creation order, then
 * child layers by attribute (`cell`, `forward_layer`, `backward_layer`,
 * `layer`) and, for a nested model, its `layers` list. Each variable carries
 * the name tfjs-layers gives the same weight.
 */
export interface WeightNode {
  /** The layer's name (legacy `.h5` files group weights by the top-level layer name). */
  name?: string;
  /** The Keras class: `.keras` files address list members by its snake_case name. */
  kerasClass: string;
  /** The layer's `trainable` flag (decides the order of legacy `.h5` weight lists). */
  trainable: boolean;
  /** Own variables in Keras's order: the tfjs weight name and whether it is a trainable variable. */
  vars: { name: string; trainable: boolean }[];
  /** Child layers saved under an attribute name. */
  attrs: [string, WeightNode][];
  /** Members of a nested model, in its `layers` order. */
  layers: WeightNode[];
}

/** A leaf node: a layer with own variables only. */
export function leaf(kerasClass: string, trainable: boolean, vars: { name: string; trainable: boolean }[]): WeightNode {
  return { kerasClass, trainable, vars, attrs: [], layers: [] };
}

/** Keras's `naming.to_snake_case` of a class name (`Conv2D` -> `conv2d`, `PReLU` -> `p_re_lu`). */
export function snakeCase(name: string): string {
  return name
    .replace(/\W+/g, '')
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

/** Every variable of a node in the order Keras lists `layer.weights` for a legacy `.h5` file: trainable first, then the rest. */
export function legacyWeightOrder(node: WeightNode): string[] {
  return [...trainableOf(node), ...nonTrainableOf(node)];
}

function children(node: WeightNode): WeightNode[] {
  return [...node.attrs.map(([, child]) => child), ...node.layers];
}

function trainableOf(node: WeightNode): string[] {
  if (!node.trainable) return [];
  return [...node.vars.filter((v) => v.trainable).map((v) => v.name), ...children(node).flatMap(trainableOf)];
}

function nonTrainableOf(node: WeightNode): string[] {
  if (!node.trainable) return [...node.vars.map((v) => v.name), ...children(node).flatMap(legacyWeightOrder)];
  return [...node.vars.filter((v) => !v.trainable).map((v) => v.name), ...children(node).flatMap(nonTrainableOf)];
}

/** Whether a node or any layer inside it has variables (Keras's `layer.weights` is not empty). */
function hasWeights(node: WeightNode): boolean {
  return node.vars.length > 0 || children(node).some(hasWeights);
}

/**
 * Every variable with its path in a `.keras` file's model.weights.h5 (`<path>/vars/<i>`), in walk order.
 * `countedTwice`: Keras 2.12-2.13 wrote a model's list as `_layer_checkpoint_dependencies`, where each layer with
 * weights appears twice (`layer_with_weights-<k>` and `layer-<i>`) and both entries advance the class-name count, so
 * the second Dense of a model is `dense_2` there (Keras 2.14 skips the repeat before counting: `dense_1`).
 */
export function kerasWeightPaths(node: WeightNode, path: string, countedTwice = false): [string, string][] {
  const out: [string, string][] = node.vars.map((v, i) => [v.name, `${path ? `${path}/` : ''}vars/${i}`]);
  for (const [attr, child] of node.attrs) out.push(...kerasWeightPaths(child, path ? `${path}/${attr}` : attr, countedTwice));
  const used = new Map<string, number>();
  for (const child of node.layers) {
    const base = snakeCase(child.kerasClass);
    const seen = used.get(base);
    const index = seen === undefined ? 0 : seen + 1;
    used.set(base, countedTwice && hasWeights(child) ? index + 1 : index);
    const name = index === 0 ? base : `${base}_${index}`;
    out.push(...kerasWeightPaths(child, `${path ? `${path}/` : ''}layers/${name}`, countedTwice));
  }
  return out;
}
