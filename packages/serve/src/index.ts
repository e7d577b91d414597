export { Batcher, type BatcherOptions, type PredictFn } from './batcher.js';
export { type BoardServer, type BoardServerOptions, createBoardServer, type ModelBoard, type ServedVersion } from './board-server.js';
export { type ErrorContext, type ErrorResponse, errorResponse, toModelBundleError } from './errors.js';
export { MAX_DERIVED_BODY_LIMIT, requestLimits, widestRowBytes } from './limits.js';
export { type LoadedModel, loadModel, type ModelSource } from './load-model.js';
export { buildOpenApi, type OpenApiSource } from './openapi.js';
export {
  type AuthScope,
  DEFAULT_BATCH,
  DEFAULT_BODY_LIMIT,
  DEFAULT_MAX_ROWS,
  DEFAULT_REQUEST_TIMEOUT,
  ENV_OPTIONS,
  type LogLevel,
  type ServerOptions,
  type ServerSettings,
  type ServerTuning,
  settingsFromEnv,
} from './options.js';
export type { PredictResponse } from './predict-route.js';
export { bundleExample, exampleRow, type JsonSchema, MAX_EXAMPLE_BYTES, ptypeToRowSchema, rowSchemas } from './ptype-schema.js';
export { type RunningServer, type ServeOptions, serve } from './serve.js';
export { createServer } from './server.js';
export { optionsFromSettings } from './settings.js';
export { SERVE_VERSION } from './version.js';
