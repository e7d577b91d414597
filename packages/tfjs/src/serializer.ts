import type { ModelBundlePlugin, Serializer } from '@modelbundle/core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { isLayersModel } from './lifecycle.js';
import { modelFromParts, modelParts } from './parts.js';
import { tfjsPredictor } from './predictor.js';
import { PAYLOAD_READS, PAYLOAD_VERSION, runtimeVersions } from './version.js';

/** The two kinds of tfjs layers model a bundle can hold. */
export type TfjsKind = 'tfjs.sequential' | 'tfjs.functional';

/** Options for {@link createTfjsPlugin}. */
export interface TfjsPluginOptions {
  /** Save optimizer state with every model (default false). */
  includeOptimizer?: boolean;
  /** Per-request budget of every predictor this plugin gives, in values summed over all layer outputs (see `tfjsPredictor`). */
  maxRequestElements?: number;
}

/** The fields every tfjs serializer shares, whatever it bundles from. */
export function serializerIdentity(kind: TfjsKind): Pick<Serializer, 'kind' | 'package' | 'pluginExport' | 'version' | 'reads' | 'runtime'> {
  return { kind, package: '@modelbundle/tfjs', pluginExport: 'tfjsPlugin', version: PAYLOAD_VERSION, reads: PAYLOAD_READS, runtime: runtimeVersions() };
}

/** True when `model` is a `tf.Sequential` (checked by class name, so it works across copies of tfjs-layers). */
export function isSequential(model: LayersModel): boolean {
  return model.getClassName() === 'Sequential';
}

function tfjsSerializer(kind: TfjsKind, options: TfjsPluginOptions): Serializer<LayersModel> {
  return {
    ...serializerIdentity(kind),
    canBundle: (value) => isLayersModel(value) && isSequential(value) === (kind === 'tfjs.sequential'),
    bundle: (model) => modelParts(model, { includeOptimizer: options.includeOptimizer === true }),
    unbundle: (parts) => modelFromParts(parts),
    predictor: (model) => tfjsPredictor(model, options.maxRequestElements === undefined ? {} : { maxRequestElements: options.maxRequestElements }),
  };
}

/** A tfjs plugin with its own options (the exported {@link tfjsPlugin} uses the defaults). */
export function createTfjsPlugin(options: TfjsPluginOptions = {}): ModelBundlePlugin {
  return {
    name: '@modelbundle/tfjs',
    serializers: [tfjsSerializer('tfjs.sequential', options), tfjsSerializer('tfjs.functional', options)],
  };
}

/**
 * The plugin for TensorFlow.js layers models: kinds `tfjs.sequential` and
 * `tfjs.functional`. Register it explicitly: `registerPlugin(tfjsPlugin)`.
 */
export const tfjsPlugin: ModelBundlePlugin = createTfjsPlugin();
