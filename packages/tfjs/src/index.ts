export type { ModelArtifacts } from './artifacts.js';
export { BACKEND_ENV, type BackendOptions, currentBackend, ensureBackend, useBackend } from './backend.js';
export { isClassRegistered, topologyClassNames } from './classes.js';
export {
  type ArtifactsToBundleOptions,
  artifactsToBundle,
  type BundleToModelOptions,
  bundleToArtifacts,
  bundleToModel,
  type ModelToBundleOptions,
  modelToBundle,
} from './convert.js';
export { buildGuarded } from './initializer-guard.js';
export { type BundleIOHandlerOptions, bundleIOHandler } from './io-handler.js';
export { isLayersModel, isUsable } from './lifecycle.js';
export { tfjsPredictor } from './predictor.js';
export { type TfjsBundleOptions, type TfjsKind, tfjsPlugin } from './serializer.js';
export type { TensorInfo, TfjsPtype, TfjsSummary } from './summary.js';
export { runtimeVersions, TFJS_PLUGIN_VERSION } from './version.js';
