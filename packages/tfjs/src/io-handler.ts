import { type Bundle, type BundleSource, encodeBundle } from '@modelbundle/core';
import * as tf from '@tensorflow/tfjs-core';
import { type ArtifactsToBundleOptions, artifactsToBundle, type BundleToModelOptions, bundleToArtifacts } from './convert.js';
import { buildGuarded } from './initializer-guard.js';

/** Options for {@link bundleIOHandler}: where `load()` reads and how it checks, what `save()` records and where it goes. */
export interface BundleIOHandlerOptions extends Pick<ArtifactsToBundleOptions, 'metadata' | 'created'>, BundleToModelOptions {
  /** Where `load()` reads the bundle: a source, or a function giving one (called on each load). */
  source?: BundleSource | (() => BundleSource | Promise<BundleSource>);
  /** Called by `save()` with the complete bundle bytes and the decoded bundle. */
  onSave?: (bytes: Uint8Array, bundle: Bundle) => void | Promise<void>;
}

/**
 * A tfjs `IOHandler` backed by a bundle, so `model.save(handler)` writes a
 * bundle and `tf.loadLayersModel(handler)` reads one, with the same checks
 * as {@link bundleToModel} (`trustedKeys` included). With
 * `{ includeOptimizer: true }` in `model.save`, optimizer state is kept.
 */
export function bundleIOHandler(options: BundleIOHandlerOptions): tf.io.IOHandler {
  const handler: tf.io.IOHandler = {};
  if (options.onSave) {
    const onSave = options.onSave;
    handler.save = async (artifacts) => {
      const bundle = await artifactsToBundle(artifacts, {
        ...(options.metadata ? { metadata: options.metadata } : {}),
        ...(options.created ? { created: options.created } : {}),
      });
      const bytes = encodeBundle(bundle);
      await onSave(bytes, bundle);
      return { modelArtifactsInfo: { ...tf.io.getModelArtifactsInfoForJSON(artifacts), weightDataBytes: bytes.byteLength } };
    };
  }
  if (options.source !== undefined) {
    const source = options.source;
    handler.load = async () => {
      const { trustedKeys, skipVerify, requirements, resolveFrom } = options;
      const artifacts = await bundleToArtifacts(typeof source === 'function' ? await source() : source, {
        ...(trustedKeys ? { trustedKeys } : {}),
        ...(skipVerify ? { skipVerify } : {}),
        ...(requirements ? { requirements } : {}),
        ...(resolveFrom ? { resolveFrom } : {}),
      });
      // tfjs's loader initializes top-level layers with plain zeros of whatever size the topology says. Build the
      // model once under the weight-manifest guards first, so a topology that lies fails before tfjs allocates.
      (await buildGuarded({ modelTopology: artifacts.modelTopology, weightSpecs: artifacts.weightSpecs ?? [] }, { unwritten: true })).dispose();
      return artifacts;
    };
  }
  return handler;
}
