import { type Bundle, type BundleOptions, ModelBundleError } from '@modelbundle/core';
import { artifactsToBundle, type BundlableArtifacts, ensureBackend, topologyClassNames } from '@modelbundle/tfjs';
import { registerKerasLayers } from './layers/register.js';
import { DEFAULT_LIMITS, type KerasLimits } from './limits.js';
import { detectKerasFormat } from './read/detect.js';
import { type KerasSource, readKerasZip, readLegacyH5 } from './read/sources.js';
import { translateTopology } from './translate/topology.js';
import { checkWeights, nonFiniteWeights } from './verify.js';
import { KERAS_PLUGIN_VERSION } from './version.js';

/** Options for {@link kerasToBundle}. */
export interface KerasToBundleOptions extends Pick<BundleOptions, 'metadata' | 'created'> {
  /** Bounds for the untrusted file (defaults: {@link DEFAULT_LIMITS}). */
  limits?: Partial<KerasLimits>;
  /** Called with each warning (NaN or infinite weights); default `console.warn`. */
  onWarning?: (message: string) => void;
}

/** What the bundle summary records about the Keras file. */
export interface KerasSourceSummary {
  /** `keras` (the zip), `h5` (legacy HDF5) or `tfjs` (a converter model.json). */
  format: KerasSource['format'];
  kerasVersion: string;
  /** Classes of @modelbundle/keras the model needs: call registerKerasLayers() before restoring. */
  kerasClasses: string[];
}

/** Layers whose tfjs-backend-wasm 4.22 kernel computes wrongly (exact on cpu and tfjs-node), with what goes wrong. */
const WRONG_ON_WASM: Readonly<Record<string, string>> = {
  MaxPooling3D: "the wasm backend's MaxPool3D kernel returns about 0 for a window whose values are all negative.",
  Conv3DTranspose: "the wasm backend's Conv3DBackpropInputV2 kernel gives zeros for strides above 1.",
};

/** Reads any Keras file by its bytes. JSON (a tfjs model.json) needs its weight files: use importTfjs from @modelbundle/tfjs/node. */
export function readKerasSource(bytes: Uint8Array, limits: KerasLimits): KerasSource {
  const format = detectKerasFormat(bytes);
  if (format === 'keras-zip') return readKerasZip(bytes, limits);
  if (format === 'hdf5') return readLegacyH5(bytes, limits);
  throw new ModelBundleError(
    'INVALID_ARGUMENT',
    'These bytes are JSON: a tfjs model.json, whose weights live in separate files. Import its folder with importKeras (Node) or importTfjs from @modelbundle/tfjs/node.',
  );
}

/**
 * Artifacts for {@link artifactsToBundle} from a Keras source: the translated topology and each weight's
 * float32 bytes as a view of what the reader holds (no copy; tfjs's own loader cannot take views).
 */
export async function kerasArtifacts(
  source: KerasSource,
  options: KerasToBundleOptions = {},
): Promise<{ artifacts: BundlableArtifacts; summary: KerasSourceSummary }> {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const translated = translateTopology(source.config, source.kerasVersion, limits);
  const weights = source.weights(translated.root);
  registerKerasLayers();
  await ensureBackend();
  await checkWeights(translated.topology, weights);
  const warn = options.onWarning ?? ((m: string) => console.warn(m));
  for (const name of nonFiniteWeights(weights))
    warn(`The weight "${name}" holds NaN or infinite values; the model's predictions may be NaN. It was imported as it is.`);
  for (const layer of topologyClassNames(translated.topology).filter((c) => Object.hasOwn(WRONG_ON_WASM, c)))
    warn(`${layer}: ${WRONG_ON_WASM[layer]} Predict this model on the cpu backend (MODELBUNDLE_TFJS_BACKEND=cpu) or with tfjs-node.`);
  const artifacts: BundlableArtifacts = {
    modelTopology: translated.topology,
    weightSpecs: weights.map(([name, t]) => ({ name, shape: t.shape, dtype: 'float32' })),
    weightData: weights.map(([, t]) => new Uint8Array(t.values.buffer, t.values.byteOffset, t.values.byteLength)),
    format: 'layers-model',
    generatedBy: `keras v${source.kerasVersion}`,
    convertedBy: `@modelbundle/keras ${KERAS_PLUGIN_VERSION}`,
  };
  return { artifacts, summary: { format: source.format, kerasVersion: source.kerasVersion, kerasClasses: translated.kerasClasses } };
}

/**
 * Imports a Keras model file, given as its bytes, as a tfjs bundle (kind
 * `tfjs.sequential` or `tfjs.functional`) that @modelbundle/tfjs restores:
 * a native `.keras` zip (Keras 3, and Keras 2.13-2.15) or a legacy HDF5
 * whole-model file (Keras 2.x or 3), told apart by their bytes, never their
 * name. The file is read as untrusted input (bounds in `limits`); code in it
 * (Lambda layers) is refused, never run. The summary's `keras` field records
 * the source format and the Keras version. Browser-safe.
 * If the summary lists `kerasClasses`, a process restoring the bundle calls
 * {@link registerKerasLayers} first.
 */
export async function kerasToBundle(bytes: Uint8Array | ArrayBuffer, options: KerasToBundleOptions = {}): Promise<Bundle> {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const source = readKerasSource(view, limits);
  const { artifacts, summary } = await kerasArtifacts(source, options);
  return artifactsToBundle(artifacts, {
    ...(options.metadata ? { metadata: options.metadata } : {}),
    ...(options.created ? { created: options.created } : {}),
    summary: { keras: summary },
  });
}
