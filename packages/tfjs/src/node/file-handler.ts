import { readBundle, writeBundle } from '@modelbundle/core/node';
import type * as tf from '@tensorflow/tfjs-core';
import { type BundleIOHandlerOptions, bundleIOHandler } from '../io-handler.js';

/** Options for {@link bundleFile}: what `save()` records, and how `load()` checks the file (requirements, `trustedKeys`). */
export type BundleFileOptions = Omit<BundleIOHandlerOptions, 'source' | 'onSave' | 'skipVerify'>;

/**
 * A tfjs `IOHandler` for a bundle file: `model.save(bundleFile('m.mbnd'))`
 * writes it atomically, `tf.loadLayersModel(bundleFile('m.mbnd'))` reads it
 * with every digest checked (and, with `trustedKeys`, its signature).
 */
export function bundleFile(path: string, options: BundleFileOptions = {}): tf.io.IOHandler {
  return bundleIOHandler({
    ...options,
    source: () => readBundle(path),
    onSave: (_bytes, bundle) => writeBundle(path, bundle),
  });
}
