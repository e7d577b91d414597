import { openBundleHead } from '@modelbundle/core';
import { restoreFile } from '@modelbundle/core/node';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { ensureBackend } from '../backend.js';
import { type BundleToModelOptions, bundleToModel, tfjsSerializerOf } from '../convert.js';

/**
 * Loads a layers model from a bundle file, with every check of
 * {@link bundleToModel}: digests, trust, payload version, requirements,
 * registered classes, section sizes. A file larger than `WHOLE_FILE_BYTES`
 * (16 MiB) is read one section at a time (`restoreFile`): on a backend that
 * copies weights into memory of its own (wasm), each weight section is
 * verified, put into the heap and its buffer reused for the next, so
 * loading holds the weights once plus the largest section, where
 * `bundleToModel(await readBundle(path))` holds them twice. A smaller file
 * costs less in one read, and is. Every section is verified either way; a
 * damaged one fails the load with CORRUPT, the half-built model disposed.
 * The caller owns the model (dispose it).
 */
export async function loadModel(path: string, options: BundleToModelOptions = {}): Promise<LayersModel> {
  await ensureBackend();
  const { value } = await restoreFile<LayersModel>(path, {
    openHead: (head) => openBundleHead(head, tfjsSerializerOf, options),
    unbundle: (bundle) => bundleToModel(bundle, options),
    skipVerify: options.skipVerify === true,
  });
  return value;
}
