import { type WriteBundleOptions, writeBundle } from '@modelbundle/core/node';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { type ModelToBundleOptions, modelToBundle } from '../convert.js';

/** Options for {@link saveModel}: what the header records, the optimizer state, and write progress. */
export type SaveModelOptions = Omit<ModelToBundleOptions, 'deferWeights'> & WriteBundleOptions;

/**
 * Saves a layers model to a bundle file, atomically (a temp file, fsync,
 * rename: the path holds the old file or the new one, never a mix), every
 * section hashed as it is written. Each large weight is read from the
 * model only when its section is written (`deferWeights`): on wasm, whose
 * heap holds the weights, 1 MiB at a time into a few reused buffers, so the
 * save holds a few MiB where `writeBundle(path, await modelToBundle(model))`
 * holds a copy of every weight. Do not dispose or train the model until the
 * returned promise settles.
 */
export async function saveModel(path: string, model: LayersModel, options: SaveModelOptions = {}): Promise<void> {
  const { onProgress, ...bundleOptions } = options;
  const bundle = await modelToBundle(model, { ...bundleOptions, deferWeights: true });
  await writeBundle(path, bundle, onProgress ? { onProgress } : {});
}
