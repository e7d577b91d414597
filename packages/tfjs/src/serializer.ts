import type { ModelBundlePlugin, Serializer } from '@modelbundle/core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { isLayersModel } from './lifecycle.js';
import { modelFromParts, modelFromSections, modelParts } from './parts.js';
import { tfjsPredictor } from './predictor.js';
import { PAYLOAD_READS, PAYLOAD_VERSION, runtimeVersions } from './version.js';

/** The two kinds of tfjs layers model a bundle can hold. */
export type TfjsKind = 'tfjs.sequential' | 'tfjs.functional';

/** The per-call options the tfjs serializers read from `bundle(model, { options })`. */
export interface TfjsBundleOptions {
  /** Save the optimizer state too, so training resumes exactly (default false). */
  includeOptimizer?: boolean;
  /**
   * Read each weight of 64 KiB or more from the model only when the
   * bundle's writer reaches its section, instead of copying every weight
   * into the bundle at once (default false). On wasm, whose heap holds the
   * weights, `writeBundle` then copies them out 1 MiB at a time into a few
   * reused buffers, so saving holds a few MiB instead of a copy of the
   * weights; other backends read them at once, as without it. The bundle
   * reads the model as it is when written: keep the model (not disposed,
   * not training) until the bundle is written; `saveModel` does both steps at once.
   */
  deferWeights?: boolean;
}

/** True when `model` is a `tf.Sequential` (checked by class name, so it works across copies of tfjs-layers). */
export function isSequential(model: LayersModel): boolean {
  return model.getClassName() === 'Sequential';
}

function tfjsSerializer(kind: TfjsKind): Serializer<LayersModel> {
  return {
    kind,
    package: '@modelbundle/tfjs',
    pluginExport: 'tfjsPlugin',
    version: PAYLOAD_VERSION,
    reads: PAYLOAD_READS,
    runtime: runtimeVersions(),
    canBundle: (value) => isLayersModel(value) && isSequential(value) === (kind === 'tfjs.sequential'),
    bundle: (model, context) => {
      const options = context.options as TfjsBundleOptions;
      return modelParts(model, { includeOptimizer: options.includeOptimizer === true, deferWeights: options.deferWeights === true });
    },
    unbundle: (parts) => modelFromParts(parts),
    unbundleStreamed: (parts) => modelFromSections(parts.payload, parts.sections),
    predictor: (model) => tfjsPredictor(model),
  };
}

const serializers = { 'tfjs.sequential': tfjsSerializer('tfjs.sequential'), 'tfjs.functional': tfjsSerializer('tfjs.functional') };

/** The serializer of one tfjs kind, for the steps that need it without a registry. */
export function tfjsSerializerFor(kind: TfjsKind): Serializer<LayersModel> {
  return serializers[kind];
}

/**
 * The plugin for TensorFlow.js layers models: kinds `tfjs.sequential` and
 * `tfjs.functional`. Register it explicitly: `registerPlugin(tfjsPlugin)`.
 * Save optimizer state per call: `bundle(model, { options: { includeOptimizer: true } })`.
 */
export const tfjsPlugin: ModelBundlePlugin = { name: '@modelbundle/tfjs', serializers: Object.values(serializers) };
