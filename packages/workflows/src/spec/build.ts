import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { type BlockBuilder, type BlockContext, type Layer, resolveBlock } from './blocks.js';
import { type BlockStep, type CompileArgs, INPUT_NODE, type Mode, type ModelSpec } from './types.js';

/** What the data decides about the model: its input width and (for classification) the class count. */
export interface ModelShape {
  inputSize: number;
  /** Number of outcome classes; 1 output unit for regression. */
  outputs: number;
}

/**
 * The tfjs model a spec describes, uncompiled: an input layer from the data,
 * the blocks, and a head from the mode. Needs a ready backend (`await ensureBackend()`); `fit` does that.
 */
export function buildModel(spec: ModelSpec, shape: ModelShape, blocks: Readonly<Record<string, BlockBuilder>> = {}): tfl.LayersModel {
  const context = makeContext(spec.mode, spec.fit?.seed);
  const head = () =>
    tfl.layers.dense({
      units: shape.outputs,
      activation: spec.mode === 'classification' ? 'softmax' : 'linear',
      kernelInitializer: seeded(context.seed()),
      name: 'head',
    });
  if (spec.type === 'sequential') {
    const model = tfl.sequential({ name: 'workflow' });
    model.add(tfl.layers.inputLayer({ inputShape: [shape.inputSize], name: INPUT_NODE }));
    for (const [index, step] of spec.blocks.entries()) {
      for (const layer of stepLayers(step, `block${index + 1}_${step.block}`, context, blocks)) model.add(layer);
    }
    model.add(head());
    return model;
  }
  const input = tfl.input({ shape: [shape.inputSize], name: INPUT_NODE });
  const built = new Map<string, tfl.SymbolicTensor>([[INPUT_NODE, input]]);
  // Depth-first from the output node; the spec was checked for cycles and unknown names.
  const outputOf = (name: string): tfl.SymbolicTensor => {
    const done = built.get(name);
    if (done) return done;
    const node = spec.nodes[name]!;
    const inputs = node.inputs.map(outputOf);
    let x: tfl.SymbolicTensor | tfl.SymbolicTensor[] = inputs.length === 1 ? inputs[0]! : inputs;
    for (const layer of stepLayers(node, name, context, blocks)) x = layer.apply(x) as tfl.SymbolicTensor;
    built.set(name, x as tfl.SymbolicTensor);
    return x as tfl.SymbolicTensor;
  };
  const output = head().apply(outputOf(spec.output)) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: output, name: 'workflow' });
}

/** Compiles a model with the spec's compile args, filling defaults from the mode. */
export function compileModel(model: tfl.LayersModel, mode: Mode, compile: CompileArgs = {}): void {
  const optimizer = compile.optimizer ?? { name: 'adam', learningRate: 0.01 };
  model.compile({
    optimizer: typeof optimizer === 'string' ? optimizer : makeOptimizer(optimizer.name, optimizer.learningRate),
    loss: compile.loss ?? (mode === 'classification' ? 'categoricalCrossentropy' : 'meanSquaredError'),
    metrics: compile.metrics ?? (mode === 'classification' ? ['accuracy'] : []),
  });
}

function makeOptimizer(name: string, learningRate = 0.01): tf.Optimizer | string {
  switch (name) {
    case 'adam':
      return tf.train.adam(learningRate);
    case 'sgd':
      return tf.train.sgd(learningRate);
    case 'rmsprop':
      return tf.train.rmsprop(learningRate);
    case 'adagrad':
      return tf.train.adagrad(learningRate);
    case 'adadelta':
      return tf.train.adadelta(learningRate);
    case 'adamax':
      return tf.train.adamax(learningRate);
    default:
      return name; // tfjs reports unknown names itself
  }
}

function stepLayers(step: BlockStep, prefix: string, context: Context, blocks: Readonly<Record<string, BlockBuilder>>): Layer[] {
  const builder = resolveBlock(step.block, blocks);
  const layers: Layer[] = [];
  for (let r = 0; r < (step.repeat ?? 1); r++) {
    context.prefix = (step.repeat ?? 1) > 1 ? `${prefix}_${r + 1}` : prefix;
    context.count = 0;
    const made = builder(step.args ?? {}, context);
    layers.push(...(Array.isArray(made) ? made : [made]));
  }
  return layers;
}

interface Context extends BlockContext {
  prefix: string;
  count: number;
}

function makeContext(mode: Mode, seed: number | undefined): Context {
  let next = seed;
  const context: Context = {
    mode,
    prefix: '',
    count: 0,
    name: () => {
      context.count++;
      return context.count === 1 ? context.prefix : `${context.prefix}_${context.count}`;
    },
    seed: () => (next === undefined ? undefined : next++),
  };
  return context;
}

function seeded(seed: number | undefined) {
  return seed === undefined ? undefined : tfl.initializers.glorotUniform({ seed });
}
