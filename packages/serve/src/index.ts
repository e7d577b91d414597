export { type BoardServer, type BoardServerOptions, createBoardServer, type ModelBoard, type ServedVersion } from './board-server.js';
export { type ErrorBody, errorResponse } from './errors.js';
export { type LoadedModel, loadModel, type ModelSource } from './load-model.js';
export { buildOpenApi, type OpenApiSource } from './openapi.js';
export { bundleExample, exampleRow, type JsonSchema, ptypeToRowSchema } from './ptype-schema.js';
export { type PredictRequest, parsePredictRequest } from './request-rows.js';
export { type RunningServer, type ServeOptions, serve } from './serve.js';
export { createServer, DEFAULT_BODY_LIMIT, DEFAULT_MAX_ROWS, DEFAULT_REQUEST_TIMEOUT, type LogLevel, type ServerOptions } from './server.js';
