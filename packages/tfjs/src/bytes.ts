import { type Bundle, type BundleOptions, createRegistry, encodeBundle, type Registry, type UnbundleOptions } from '@modelbundle/core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { createTfjsPlugin, tfjsPlugin } from './serializer.js';

/** Options for {@link modelToBundle} and {@link modelToBytes}. */
export interface ModelToBundleOptions extends Omit<BundleOptions, 'kind'> {
  /** Save the optimizer state too, so training resumes exactly (default false). */
  includeOptimizer?: boolean;
}

const withOptimizer = createRegistry({ autoload: false }).registerPlugin(createTfjsPlugin({ includeOptimizer: true }));
const withoutOptimizer = createRegistry({ autoload: false }).registerPlugin(tfjsPlugin);

function registryFor(includeOptimizer: boolean | undefined): Registry {
  return includeOptimizer ? withOptimizer : withoutOptimizer;
}

/** Saves a layers model as a {@link Bundle} (kind `tfjs.sequential` or `tfjs.functional`). */
export function modelToBundle(model: LayersModel, options: ModelToBundleOptions = {}): Promise<Bundle> {
  const { includeOptimizer, ...rest } = options;
  return registryFor(includeOptimizer).bundle(model, rest);
}

/** Saves a layers model as the bytes of one complete bundle file. */
export async function modelToBytes(model: LayersModel, options: ModelToBundleOptions = {}): Promise<Uint8Array> {
  return encodeBundle(await modelToBundle(model, options));
}

/**
 * Restores a layers model from bundle bytes or a decoded {@link Bundle}:
 * digests, payload version, requirements, registered classes and section
 * sizes are all checked first. The caller owns the model (dispose it).
 */
export function modelFromBytes(source: Uint8Array | ArrayBuffer | Bundle, options: Omit<UnbundleOptions, 'autoload'> = {}): Promise<LayersModel> {
  return withoutOptimizer.unbundle<LayersModel>(source, { ...options, autoload: false });
}
