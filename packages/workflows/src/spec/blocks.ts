import { ModelBundleError } from '@modelbundle/core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { BlockArgs, Mode } from './types.js';

/** A tfjs layer (the base class custom layers extend). */
export type Layer = tfl.layers.Layer;

/** What a block builder is told about the model being built. */
export interface BlockContext {
  /** The workflow's mode. */
  mode: Mode;
  /** A unique, stable layer name for this block (call once per layer you create). */
  name(): string;
  /** The next seed for an initializer or dropout layer, or undefined when the spec has no seed. */
  seed(): number | undefined;
}

/**
 * Builds the layers of one block from its hyperparameters. Layers are
 * applied in order; a block that merges several inputs (e.g. `concatenate`)
 * must start with a layer that accepts a list.
 */
export type BlockBuilder = (args: BlockArgs, context: BlockContext) => Layer | Layer[];

const num = (args: BlockArgs, key: string, fallback: number): number => (typeof args[key] === 'number' ? (args[key] as number) : fallback);
const str = (args: BlockArgs, key: string, fallback: string): string => (typeof args[key] === 'string' ? (args[key] as string) : fallback);

function kernel(context: BlockContext) {
  const seed = context.seed();
  return seed === undefined ? undefined : tfl.initializers.glorotUniform({ seed });
}

/** The blocks every workflow can use without registering anything. */
export const builtinBlocks: Readonly<Record<string, BlockBuilder>> = Object.freeze({
  /** Fully connected layer. args: units (default 16), activation (default relu), useBias (default true). */
  dense: (args, c) =>
    tfl.layers.dense({
      units: num(args, 'units', 16),
      activation: str(args, 'activation', 'relu') as 'relu',
      useBias: args.useBias !== false,
      kernelInitializer: kernel(c),
      name: c.name(),
    }),
  /** Randomly zeroes a fraction of inputs while training. args: rate (default 0.1). */
  dropout: (args, c) => tfl.layers.dropout({ rate: num(args, 'rate', 0.1), seed: c.seed(), name: c.name() }),
  /** Batch normalization. No args. */
  batchNormalization: (_args, c) => tfl.layers.batchNormalization({ name: c.name() }),
  /** An activation function alone. args: activation (default relu). */
  activation: (args, c) => tfl.layers.activation({ activation: str(args, 'activation', 'relu') as 'relu', name: c.name() }),
  /** Joins several inputs side by side (functional specs). */
  concatenate: (_args, c) => tfl.layers.concatenate({ name: c.name() }) as unknown as Layer,
  /** Adds several inputs of the same width (functional specs). */
  add: (_args, c) => tfl.layers.add({ name: c.name() }) as unknown as Layer,
});

const registered = new Map<string, BlockBuilder>();

/**
 * Makes a block available to every spec in this process by name. A spec only
 * names its blocks, so it stays plain data; the builder code lives here.
 * Built-in names cannot be replaced.
 */
export function registerBlock(name: string, builder: BlockBuilder): void {
  if (typeof name !== 'string' || name === '' || typeof builder !== 'function') {
    throw new ModelBundleError(
      'INVALID_ARGUMENT',
      `registerBlock() got name ${JSON.stringify(name)} and a ${typeof builder}; expected a non-empty name and a builder function.`,
    );
  }
  if (Object.hasOwn(builtinBlocks, name)) {
    throw new ModelBundleError('INVALID_ARGUMENT', `"${name}" is a built-in block and cannot be replaced. Register your builder under another name.`);
  }
  registered.set(name, builder);
}

/** Finds a block builder: per-call blocks first, then registered, then built-in. */
export function resolveBlock(name: string, extra: Readonly<Record<string, BlockBuilder>> = {}): BlockBuilder {
  const builder = extra[name] ?? registered.get(name) ?? builtinBlocks[name];
  if (!builder) {
    const known = [...new Set([...Object.keys(extra), ...registered.keys(), ...Object.keys(builtinBlocks)])];
    throw new ModelBundleError(
      'INVALID_ARGUMENT',
      `The spec uses block "${name}", which is not known here. Known blocks: ${known.join(', ')}. Register it with registerBlock("${name}", builder) or pass it in fit(..., { blocks: { ${name}: builder } }).`,
    );
  }
  return builder;
}

/** Names of every block known in this process (built-in and registered). */
export function listBlocks(): string[] {
  return [...Object.keys(builtinBlocks), ...registered.keys()];
}
