import { type Bundle, type BundleSource, createRegistry, encodeBundle, ModelBundleError, type Serializer, type UnbundleOptions } from '@modelbundle/core';
import * as tf from '@tensorflow/tfjs-core';
import type { ModelArtifacts } from './artifacts.js';
import { buildGuarded } from './initializer-guard.js';
import { artifactsFromParts, partsFromArtifacts } from './parts.js';
import { serializerIdentity, type TfjsKind } from './serializer.js';

/** Options for {@link bundleIOHandler}. */
export interface BundleIOHandlerOptions {
  /** Where `load()` reads the bundle: a source, or a function giving one (called on each load). */
  source?: BundleSource | (() => BundleSource | Promise<BundleSource>);
  /** Called by `save()` with the complete bundle bytes and the decoded bundle. */
  onSave?: (bytes: Uint8Array, bundle: Bundle) => void | Promise<void>;
  /** User metadata recorded by `save()`. */
  metadata?: Record<string, unknown>;
  /** Creation time recorded by `save()` (default: now). */
  created?: Date | string;
  /** Policy for unmet requirements on `load()`. */
  requirements?: UnbundleOptions['requirements'];
}

/**
 * A tfjs `IOHandler` backed by a bundle, so `model.save(handler)` writes a
 * bundle and `tf.loadLayersModel(handler)` reads one. With
 * `{ includeOptimizer: true }` in `model.save`, optimizer state is kept.
 */
export function bundleIOHandler(options: BundleIOHandlerOptions): tf.io.IOHandler {
  const handler: tf.io.IOHandler = {};
  if (options.onSave) {
    const onSave = options.onSave;
    handler.save = async (artifacts) => {
      const bundle = await artifactsToBundle(artifacts, options);
      const bytes = encodeBundle(bundle);
      await onSave(bytes, bundle);
      return { modelArtifactsInfo: { ...tf.io.getModelArtifactsInfoForJSON(artifacts), weightDataBytes: bytes.byteLength } };
    };
  }
  if (options.source !== undefined) {
    const source = options.source;
    handler.load = async () => {
      const artifacts = await bundleToArtifacts(typeof source === 'function' ? await source() : source, options);
      // tfjs's loader initializes top-level layers with plain zeros of whatever size the topology says. Build the
      // model once under the weight-manifest guards first, so a topology that lies fails before tfjs allocates.
      (await buildGuarded({ modelTopology: artifacts.modelTopology, weightSpecs: artifacts.weightSpecs ?? [] })).dispose();
      return artifacts;
    };
  }
  return handler;
}

/** Options for {@link artifactsToBundle}. */
export interface ArtifactsToBundleOptions extends Pick<BundleIOHandlerOptions, 'metadata' | 'created'> {
  /** Extra fields merged into the bundle's summary (for example where an imported model came from). */
  summary?: Record<string, unknown>;
}

/** A bundle from tfjs model artifacts (as `model.save` hands them to an IOHandler). */
export async function artifactsToBundle(artifacts: ModelArtifacts, options: ArtifactsToBundleOptions = {}): Promise<Bundle> {
  const parts = partsFromArtifacts(artifacts);
  if (options.summary) parts.summary = { ...options.summary, ...parts.summary };
  const kind = parts.summary.kind;
  const once: Serializer<typeof parts> = {
    ...serializerIdentity(kind),
    canBundle: (value) => value === parts,
    bundle: (value) => value,
    unbundle: () => {
      throw new ModelBundleError('INTERNAL', 'This serializer only writes.');
    },
  };
  return createRegistry({ autoload: false })
    .register(once)
    .bundle(parts, { ...(options.metadata ? { metadata: options.metadata } : {}), ...(options.created ? { created: options.created } : {}) });
}

const readers = (['tfjs.sequential', 'tfjs.functional'] as TfjsKind[]).map(
  (kind): Serializer<ModelArtifacts> => ({
    ...serializerIdentity(kind),
    canBundle: () => false,
    bundle: () => {
      throw new ModelBundleError('INTERNAL', 'This serializer only reads.');
    },
    unbundle: (parts) => artifactsFromParts(parts),
  }),
);
const artifactReader = createRegistry({ autoload: false }).registerPlugin({ name: '@modelbundle/tfjs', serializers: readers });

/** The validated tfjs artifacts in a bundle (same checks as unbundling the model). */
export function bundleToArtifacts(source: BundleSource, options: Pick<BundleIOHandlerOptions, 'requirements'> = {}): Promise<ModelArtifacts> {
  return artifactReader.unbundle<ModelArtifacts>(source, { autoload: false, ...(options.requirements ? { requirements: options.requirements } : {}) });
}
