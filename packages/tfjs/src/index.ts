export type { BundlableArtifacts, ModelArtifacts } from './artifacts.js';
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
export { type BuildGuardedOptions, buildGuarded } from './initializer-guard.js';
export { type BundleIOHandlerOptions, bundleIOHandler } from './io-handler.js';
export { isLayersModel, isUsable } from './lifecycle.js';
export { checkRequestOutputs, DEFAULT_REQUEST_ELEMENTS, MAX_ROW_ELEMENTS, REQUEST_ELEMENTS_ENV } from './output-budget.js';
export { type TfjsPredictorOptions, tfjsPredictor } from './predictor.js';
export { type TfjsBundleOptions, type TfjsKind, tfjsPlugin } from './serializer.js';
export { MAX_STATE_ELEMENTS } from './state-budget.js';
export type { TensorInfo, TfjsPtype, TfjsSummary } from './summary.js';
export { MAX_GRAPH_CALLS, MAX_GRAPH_SWEEPS } from './topology-graph.js';
export { runtimeVersions, TFJS_PLUGIN_VERSION } from './version.js';
