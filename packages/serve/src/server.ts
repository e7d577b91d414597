import { randomBytes } from 'node:crypto';
import type { Registry } from '@modelbundle/core';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { clientErrorHandler } from './client-error.js';
import { docsPage } from './docs-page.js';
import { errorResponse } from './errors.js';
import { type LoadedModel, loadModel, type ModelSource } from './load-model.js';
import { buildOpenApi } from './openapi.js';
import { bundleExample, ptypeToRowSchema } from './ptype-schema.js';
import { parsePredictRequest } from './request-rows.js';

/** Log levels, quietest last. */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

/** Options for {@link createServer}. */
export type ServerOptions = ModelSource & {
  /** Registry that restores the bundle (default: the default registry, which autoloads installed plugins). */
  registry?: Registry;
  /** Request log level (default `info`: one line per request on stdout). `silent` turns logging off. */
  logLevel?: LogLevel;
  /** A logger of your own (pino-compatible); overrides `logLevel`. */
  logger?: FastifyBaseLogger;
  /** Largest accepted request body in bytes (default 1 MiB); larger bodies get 413. */
  bodyLimit?: number;
  /** Most rows accepted in one predict request (default 10,000); more get 413. */
  maxRows?: number;
  /**
   * Longest time in milliseconds a client may take to send a whole request,
   * headers and body (default 30 s; 0 turns the limit off). A client that
   * stalls gets 408 and its connection is closed, so it cannot hold a socket forever.
   */
  requestTimeout?: number;
};

/** The default request body limit: 1 MiB. */
export const DEFAULT_BODY_LIMIT = 1024 * 1024;
/** The default number of rows accepted in one predict request. */
export const DEFAULT_MAX_ROWS = 10_000;
/** The default time a client has to send a whole request: 30 s. */
export const DEFAULT_REQUEST_TIMEOUT = 30_000;

/**
 * Creates (without starting) an HTTP server for any bundle whose serializer
 * has a predictor. Endpoints: `POST /predict`, `GET /ping`, `GET /metadata`,
 * `GET /prototype`, `GET /openapi.json` and the docs page at `GET /` (and
 * `/docs`). Call `.listen()` yourself, or use `serve()`.
 */
export async function createServer(options: ServerOptions): Promise<FastifyInstance> {
  const model = await loadModel(options, options.registry);
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const requestTimeout = options.requestTimeout ?? DEFAULT_REQUEST_TIMEOUT;
  const app = Fastify({
    ...(options.logger
      ? { loggerInstance: options.logger }
      : { logger: (options.logLevel ?? 'info') === 'silent' ? false : { level: options.logLevel ?? 'info' } }),
    bodyLimit,
    requestTimeout,
    // Node checks for timed-out requests every 30 s by default; check often enough to keep the limit.
    ...(requestTimeout > 0
      ? {
          http: { connectionsCheckingInterval: Math.min(1000, Math.max(50, Math.floor(requestTimeout / 4))), headersTimeout: Math.min(60_000, requestTimeout) },
        }
      : {}),
    // Requests the HTTP parser refuses (timed out, malformed) get the usual JSON error body too.
    clientErrorHandler: clientErrorHandler(requestTimeout),
    // Close idle keep-alive sockets at once on shutdown; requests in flight finish first.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
  }) as unknown as FastifyInstance;
  // Rows are JSON only: any other content type (text/plain included) gets 415.
  app.removeContentTypeParser('text/plain');
  addRoutes(app, model, bodyLimit, options.maxRows ?? DEFAULT_MAX_ROWS);
  return app;
}

function addRoutes(app: FastifyInstance, model: LoadedModel, bodyLimit: number, maxRows: number): void {
  const { header, predictor } = model;
  const types = [...predictor.types];
  const openapi = buildOpenApi({ header, types, bodyLimit });
  const rowSchema = ptypeToRowSchema(header.ptype);
  const title = (openapi.info as { title: string }).title;

  app.setErrorHandler((error, request, reply) => {
    const { status, body } = errorResponse(error, bodyLimit, request.headers['content-type']);
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ code: body.error.code }, body.error.message);
    return reply.status(status).send(body);
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({
      error: {
        code: 'INVALID_ARGUMENT',
        message: `No endpoint ${request.method} ${request.url.split('?')[0]}. Endpoints: POST /predict, GET /ping, GET /metadata, GET /prototype, GET /openapi.json, GET / (docs).`,
        details: {},
      },
    }),
  );

  const sendDocs = (_: unknown, reply: import('fastify').FastifyReply) => {
    const nonce = randomBytes(16).toString('base64');
    return reply
      .header('content-type', 'text/html; charset=utf-8')
      .header(
        'content-security-policy',
        `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; base-uri 'none'; form-action 'none'`,
      )
      .send(docsPage(title, nonce));
  };
  app.get('/', sendDocs);
  app.get('/docs', sendDocs);
  app.get('/openapi.json', async () => openapi);
  app.get('/ping', async () => ({ status: 'ok' }));
  app.get('/metadata', async () => ({
    kind: header.kind,
    format: header.format,
    serializer: header.serializer,
    producer: header.producer,
    created: header.created,
    requires: header.requires,
    metadata: header.metadata,
    summary: header.summary,
    types,
  }));
  app.get('/prototype', async () => ({ ptype: header.ptype, schema: rowSchema, example: bundleExample(header.metadata, rowSchema) }));
  app.post('/predict', async (request) => {
    const { rows, type } = parsePredictRequest(request.body, (request.query as Record<string, unknown>).type, types, maxRows);
    const predictions = await predictor.predict(rows, type === undefined ? {} : { type });
    return { predictions };
  });
}
