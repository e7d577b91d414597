import {
  type Bundle,
  type BundleSource,
  bundleWith,
  createBundle,
  type DraftOptions,
  draftHeader,
  type Header,
  ModelBundleError,
  type OpenBundleOptions,
  openBundle,
  type Serializer,
} from '@modelbundle/core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { BundlableArtifacts, ModelArtifacts } from './artifacts.js';
import { isLayersModel } from './lifecycle.js';
import { artifactsFromParts, partsFromArtifacts } from './parts.js';
import { isSequential, type TfjsBundleOptions, type TfjsKind, tfjsSerializerFor } from './serializer.js';

/** Options for {@link modelToBundle}: what the header records, and whether to keep the optimizer state. */
export interface ModelToBundleOptions extends DraftOptions, TfjsBundleOptions {}

/** Options for {@link bundleToModel} and {@link bundleToArtifacts}: trust, digest checks and the requirement policy. */
export type BundleToModelOptions = Pick<OpenBundleOptions, 'trustedKeys' | 'skipVerify' | 'requirements' | 'resolveFrom'>;

/** Options for {@link artifactsToBundle}. */
export interface ArtifactsToBundleOptions extends DraftOptions {
  /** Extra fields for the header's summary (for example where the model came from); they never replace the computed ones. */
  summary?: Record<string, unknown>;
}

/** Saves a layers model as a {@link Bundle} (kind `tfjs.sequential` or `tfjs.functional`); `encodeBundle` or `writeBundle` it. */
export function modelToBundle(model: LayersModel, options: ModelToBundleOptions = {}): Promise<Bundle> {
  if (!isLayersModel(model)) {
    throw new ModelBundleError('INVALID_ARGUMENT', 'modelToBundle() needs a tfjs-layers LayersModel (tf.sequential() or tf.model()).');
  }
  const { includeOptimizer, deferWeights, ...draft } = options;
  const serializer = tfjsSerializerFor(isSequential(model) ? 'tfjs.sequential' : 'tfjs.functional');
  return bundleWith(serializer, model, { ...draft, options: { includeOptimizer: includeOptimizer === true, deferWeights: deferWeights === true } });
}

/**
 * Restores a layers model from bundle bytes, a Blob, a Response or a decoded
 * {@link Bundle}: digests, trust, payload version, requirements, registered
 * classes and section sizes are all checked first. The caller owns the model (dispose it).
 */
export async function bundleToModel(source: BundleSource, options: BundleToModelOptions = {}): Promise<LayersModel> {
  const { serializer, parts } = await openBundle(source, (bundle) => tfjsSerializerOf(bundle.header), options);
  return serializer.unbundle(parts, { options: {} }) as Promise<LayersModel>;
}

/**
 * A bundle from tfjs model artifacts (what `model.save` hands an IOHandler, or a model.json read from disk),
 * or from artifacts whose weights are views ({@link BundlableArtifacts}: bundled without a copy).
 */
export function artifactsToBundle(artifacts: BundlableArtifacts, options: ArtifactsToBundleOptions = {}): Promise<Bundle> {
  const { summary, ...draft } = options;
  const parts = partsFromArtifacts(artifacts);
  const withExtras = summary ? { ...parts, summary: { ...summary, ...parts.summary } } : parts;
  return createBundle(draftHeader(tfjsSerializerFor(parts.summary.kind), withExtras, draft), parts.sections);
}

/** The validated tfjs artifacts in a bundle, after the same checks as {@link bundleToModel}. */
export async function bundleToArtifacts(source: BundleSource, options: BundleToModelOptions = {}): Promise<ModelArtifacts> {
  const { parts } = await openBundle(source, (bundle) => tfjsSerializerOf(bundle.header), options);
  return artifactsFromParts(parts);
}

/** The tfjs serializer for a header's kind; UNKNOWN_KIND when it is not a tfjs model. */
export function tfjsSerializerOf(header: Header): Serializer<LayersModel> {
  const { kind } = header;
  if (kind !== 'tfjs.sequential' && kind !== 'tfjs.functional') {
    throw new ModelBundleError(
      'UNKNOWN_KIND',
      `This is a "${kind}" bundle, not a tfjs model (tfjs.sequential or tfjs.functional). Restore it with unbundle() and the plugin for its kind.`,
      { details: { kind } },
    );
  }
  return tfjsSerializerFor(kind as TfjsKind);
}
