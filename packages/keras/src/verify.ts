import { ModelBundleError } from '@modelbundle/core';
import type * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { H5Tensor } from './read/hdf5.js';
import type { Json } from './translate/keras-json.js';

/** A copy of a topology whose initializers are all Zeros: the check build allocates no random tensors. */
function zeroInitialized(value: unknown, depth = 0): unknown {
  if (depth > 256 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => zeroInitialized(v, depth + 1));
  const out: Json = {};
  for (const [k, v] of Object.entries(value))
    out[k] = k.endsWith('_initializer') && v !== null ? { class_name: 'Zeros', config: {} } : zeroInitialized(v, depth + 1);
  return out;
}

/**
 * Builds the translated topology with tfjs-layers and checks the weights
 * read from the file against it, by tfjs weight name: every weight present,
 * none extra, every shape equal. Errors name the layer and both shapes.
 * @returns the built model's output shapes, for the bundle summary.
 */
export async function checkWeights(topology: Json, weights: readonly [string, H5Tensor][]): Promise<void> {
  let model: tfl.LayersModel;
  try {
    model = await tfl.models.modelFromJSON({ modelTopology: zeroInitialized(topology) as tf.io.ModelJSON['modelTopology'] } as tf.io.ModelJSON);
  } catch (cause) {
    if (cause instanceof ModelBundleError) throw cause;
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
  return weights.filter(([, t]) => !t.values.every(Number.isFinite)).map(([n]) => n);
}
