import { ModelBundleError } from '@modelbundle/core';
import { buildGuarded } from '@modelbundle/tfjs';
import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { H5Tensor } from './read/hdf5.js';
import type { Json } from './translate/keras-json.js';

/**
 * Builds the translated topology with tfjs-layers and checks the weights
 * read from the file against it, by tfjs weight name: every weight present,
 * none extra, every shape equal. Errors name the layer and both shapes.
 */
export async function checkWeights(topology: Json, weights: readonly [string, H5Tensor][]): Promise<void> {
  checkWrappedRecurrentUnits(topology, weights);
  let model: tfl.LayersModel;
  try {
    // Built under @modelbundle/tfjs's initializer guards: a config that asks for tensors its weights do not justify
    // (a hostile Dense of 10^9 units) is refused before anything is allocated.
    model = await buildGuarded(
      {
        modelTopology: topology as tf.io.ModelArtifacts['modelTopology'],
        weightSpecs: weights.map(([name, t]) => ({ name, shape: t.shape, dtype: 'float32' })),
      },
      { unwritten: true },
    );
  } catch (cause) {
    if (cause instanceof ModelBundleError) throw withFileShape(cause, weights);
    throw new ModelBundleError(
      'SERIALIZATION_FAILED',
      `TensorFlow.js cannot build the translated model: ${(cause as Error).message}. The Keras config uses a layer option tfjs does not support; see docs/guides/keras.md.`,
      { cause },
    );
  }
  try {
    const byName = new Map(weights);
    const seen = new Set<string>();
    for (const variable of model.weights) {
      const name = variable.originalName;
      const layer = name.split('/')[0] as string;
      if (seen.has(name)) {
        throw new ModelBundleError(
          'SERIALIZATION_FAILED',
          `Two weights of the model are both named "${name}" in TensorFlow.js (a nested model reuses an outer layer name); rename one layer in Keras and save again.`,
        );
      }
      seen.add(name);
      const found = byName.get(name);
      if (!found)
        throw new ModelBundleError(
          'MALFORMED',
          `The weight "${name}" of layer "${layer}" is missing from the file; the file holds a different model than its config.`,
          { details: { layer, weight: name } },
        );
      const expected = variable.shape;
      if (found.shape.length !== expected.length || found.shape.some((d, i) => d !== expected[i])) {
        throw new ModelBundleError(
          'MALFORMED',
          `The weight "${name}" of layer "${layer}" has shape [${found.shape.join(', ')}] in the file, but the layer's config needs [${expected.join(', ')}]: the weights do not belong to this topology.`,
          { details: { layer, weight: name, found: found.shape, expected } },
        );
      }
    }
    const extra = weights.map(([n]) => n).filter((n) => !seen.has(n));
    if (extra.length > 0) {
      throw new ModelBundleError('MALFORMED', `The file holds weights the translated model has no place for: ${extra.slice(0, 5).join(', ')}.`, {
        details: { extra },
      });
    }
  } finally {
    model.dispose();
  }
}

/** The names of weights holding NaN or infinite values. */
export function nonFiniteWeights(weights: readonly [string, H5Tensor][]): string[] {
  return weights.filter(([, t]) => !allFinite(t.values)).map(([n]) => n);
}

/**
 * True when no value is NaN or infinite, read as bits: a float32 is NaN or infinite exactly when its exponent
 * bits are all ones, and adding one more exponent step then carries into the sign bit. Integer ops in four
 * independent lanes are several times faster than any float test in one loop.
 */
function allFinite(values: Float32Array): boolean {
  const bits = new Int32Array(values.buffer, values.byteOffset, values.length);
  const EXPONENT = 0x7f800000;
  const STEP = 0x00800000;
  let a = 0;
  let b = 0;
  let c = 0;
  let d = 0;
  let i = 0;
  for (; i + 3 < bits.length; i += 4) {
    a |= ((bits[i] as number) & EXPONENT) + STEP;
    b |= ((bits[i + 1] as number) & EXPONENT) + STEP;
    c |= ((bits[i + 2] as number) & EXPONENT) + STEP;
    d |= ((bits[i + 3] as number) & EXPONENT) + STEP;
  }
  for (; i < bits.length; i++) a |= ((bits[i] as number) & EXPONENT) + STEP;
  return ((a | b | c | d) & 0x80000000) === 0;
}

/** A guard refusal (an initializer asked for a tensor the weights do not justify) told as a shape contradiction, with the file's shape. */
function withFileShape(error: ModelBundleError, weights: readonly [string, H5Tensor][]): ModelBundleError {
  const { layer, initializer, shape } = error.details as { layer?: string; initializer?: string; shape?: number[] };
  if (typeof layer !== 'string' || typeof initializer !== 'string' || !Array.isArray(shape)) return error;
  // kernelInitializer -> kernel, recurrentInitializer -> recurrent_kernel, ...
  const role = initializer
    .replace(/[ _]?[iI]nitializer$/, '')
    .replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)
    .replace(/ /g, '_');
  const variable = role === 'recurrent' ? 'recurrent_kernel' : role;
  const found = weights.find(([name]) => name.startsWith(`${layer}/`) && name.endsWith(`/${variable}`));
  if (!found) return error;
  return new ModelBundleError(
    'MALFORMED',
    `The weight "${found[0]}" of layer "${layer}" has shape [${found[1].shape.join(', ')}] in the file, but the layer's config needs [${shape.join(', ')}]: the weights do not belong to this topology.`,
    { cause: error, details: { layer, weight: found[0], found: found[1].shape, expected: shape } },
  );
}

const GATES: Readonly<Record<string, number>> = { LSTM: 4, GRU: 3, KerasGRU: 3, SimpleRNN: 1 };

/**
 * tfjs rebuilds a Bidirectional layer's two directions from its inner layer's config, so the inner layer's
 * initializers run outside the initializer guards: check its `units` against the recurrent kernels in the
 * file first, so a hostile config cannot make tfjs allocate more than the file holds.
 */
function checkWrappedRecurrentUnits(topology: Json, weights: readonly [string, H5Tensor][]): void {
  const shapes = new Map(weights.map(([name, t]) => [name, t.shape]));
  const visit = (value: unknown, depth: number): void => {
    if (depth > 256 || value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) {
      for (const item of value) visit(item, depth + 1);
      return;
    }
    const record = value as Json;
    const config = record.config as Json | undefined;
    if (record.class_name === 'Bidirectional' && config && typeof config.name === 'string') {
      for (const [direction, key] of [
        ['forward', 'layer'],
        ['backward', config.backward_layer ? 'backward_layer' : 'layer'],
      ] as const) {
        const inner = config[key] as Json | undefined;
        const innerConfig = inner?.config as Json | undefined;
        const gates = GATES[String(inner?.class_name)];
        if (!innerConfig || gates === undefined) continue;
        const units = innerConfig.units;
        const weight = `${config.name}/${direction}_${String(innerConfig.name)}/recurrent_kernel`;
        const found = shapes.get(weight);
        const expected = [units, typeof units === 'number' ? units * gates : units];
        if (found?.length !== 2 || found[0] !== expected[0] || found[1] !== expected[1]) {
          throw new ModelBundleError(
            'MALFORMED',
            `The weight "${weight}" of layer "${config.name}" has shape ${found ? `[${found.join(', ')}]` : '(missing)'} in the file, but the layer's config needs [${expected.join(', ')}]: the weights do not belong to this topology.`,
            { details: { layer: config.name, weight, found: found ?? null, expected } },
          );
        }
      }
    }
    for (const item of Object.values(record)) visit(item, depth + 1);
  };
  visit(topology, 0);
}
