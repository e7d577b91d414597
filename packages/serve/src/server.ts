import { randomUUID } from 'node:crypto';
import cors from '@fastify/cors';
import { isTensorPtype, ModelBundleError } from '@modelbundle/core';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { bearerCheck } from './auth.js';
import { Batcher } from './batcher.js';
import { clientErrorHandler } from './client-error.js';
import { errorResponse } from './errors.js';
import { requestLimits } from './limits.js';
import { loadModel } from './load-model.js';
import { createMetrics } from './metrics.js';
import { buildOpenApi } from './openapi.js';
import { addOperationRoutes } from './ops-routes.js';
import { DEFAULT_BATCH, DEFAULT_REQUEST_TIMEOUT, type ServerOptions } from './options.js';
import { predictHandler } from './predict-route.js';
import { bundleExample, ptypeToRowSchema } from './ptype-schema.js';
import { RouteTable } from './route-table.js';

/** Routes a bearer token guards with `authScope: 'predict'`. */
const PREDICT_ROUTES = new Set(['/predict', '/invocations']);
/** Routes that never need a token: orchestrators probe them. */
const OPEN_ROUTES = new Set(['/healthz', '/readyz']);

/**
 * Creates (without starting) an HTTP server for any bundle whose serializer
 * has a predictor. Endpoints: `POST /predict` and `POST /invocations` (JSON
 * or CSV rows in every common format), `GET /healthz`, `/readyz`, `/ping`,
 * `/version`, `/metrics`, `/metadata`, `/prototype`, `/openapi.json` and the
 * docs page at `GET /` (and `/docs`). Rows are checked against the ptype
 * before the model sees them. Call `.listen()` yourself, or use `serve()`.
 * The server owns the model it restored: `close()` disposes it (when it has
 * a `dispose()` method, as a tfjs model does).
 */
export async function createServer(options: ServerOptions): Promise<FastifyInstance> {
  const model = await loadModel(options, options.registry);
  const { ptype } = model;
  const unseenLevels = options.unseenLevels ?? (ptype && !isTensorPtype(ptype) ? ptype.unseenLevels : undefined) ?? 'error';
  const { bodyLimit, maxRows } = requestLimits(ptype, options);
  const requestTimeout = options.requestTimeout ?? DEFAULT_REQUEST_TIMEOUT;
  const app = Fastify({
    ...(options.logger
      ? { loggerInstance: options.logger }
      : {
          logger:
            (options.logLevel ?? 'info') === 'silent'
              ? false
              : { level: options.logLevel ?? 'info', redact: { paths: ['req.headers.authorization', 'req.headers.cookie'], censor: '[redacted]' } },
        }),
    ...(options.tls ? { https: { key: toBuffer(options.tls.key), cert: toBuffer(options.tls.cert) } } : {}),
    bodyLimit,
    requestTimeout,
    // Every request gets an id (the client's X-Request-Id when it sends a short, safe one); it is logged and echoed.
    requestIdHeader: false,
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
    },
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

  const types = [...model.predictor.types];
  const openapi = buildOpenApi({ header: model.header, ptype, types, bodyLimit, maxRows, unseenLevels, auth: (options.authTokens?.length ?? 0) > 0 });
  const rowSchema = ptypeToRowSchema(ptype, { unseenLevels });
  const example = bundleExample(model.header.metadata, rowSchema);
  const metrics = createMetrics({
    kind: model.header.kind,
    serializer: model.header.serializer.package ?? model.header.kind,
    serializerVersion: model.header.serializer.version,
    digest: model.digest,
  });
  const batch = options.batch === false ? undefined : { ...DEFAULT_BATCH, ...options.batch };
  const predict = (rows: readonly unknown[], type: string | undefined) => model.predictor.predict(rows, type === undefined ? {} : { type });
  const batcher =
    batch && batch.maxRows > 0
      ? new Batcher(predict, {
          maxRows: batch.maxRows,
          maxWaitMs: batch.maxWaitMs,
          onBatch: (requests, rows) => {
            metrics.batchRequests.observe(requests);
            metrics.batchRows.observe(rows);
          },
        })
      : undefined;
  const routes = new RouteTable();

  // Rows come as JSON (Fastify's parser) or CSV text; any other content type gets 415.
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser(['text/csv', 'application/csv'], { parseAs: 'string', bodyLimit }, (_request, body, done) => done(null, body));

  if (options.corsOrigins && options.corsOrigins.length > 0) {
    const origins = options.corsOrigins.includes('*') ? '*' : [...options.corsOrigins];
    await app.register(cors, {
      origin: origins,
      methods: ['GET', 'POST', 'OPTIONS'],
      allowedHeaders: ['content-type', 'authorization', 'x-request-id'],
      maxAge: 600,
    });
  }

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  if (options.authTokens && options.authTokens.length > 0) {
    const check = bearerCheck(options.authTokens);
    const scope = options.authScope ?? 'predict';
    app.addHook('onRequest', async (request) => {
      if (request.method === 'OPTIONS') return;
      const path = request.url.split('?')[0] ?? '';
      const guarded = scope === 'all' ? !OPEN_ROUTES.has(path) : PREDICT_ROUTES.has(path);
      if (guarded) check(request.headers.authorization);
    });
  }
  app.addHook('onResponse', async (request, reply) => {
    const route = routes.has(request.routeOptions.url ?? '') ? (request.routeOptions.url as string) : 'other';
    metrics.requests.inc({ route, method: request.method, status: String(reply.statusCode) });
    metrics.latency.observe({ route, method: request.method }, reply.elapsedTime / 1000);
  });

  app.setErrorHandler((error, request, reply) => {
    const { status, body } = errorResponse(error, { bodyLimit, contentType: request.headers['content-type'] });
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ code: body.error.code }, body.error.message);
    if (body.error.code === 'UNAUTHORIZED') reply.header('www-authenticate', 'Bearer');
    return reply.status(status).send(body);
  });
  app.setNotFoundHandler(async (request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    const allowed = routes.methods(path);
    if (allowed) {
      reply.header('allow', allowed.join(', '));
      throw new ModelBundleError('METHOD_NOT_ALLOWED', `${request.method} is not allowed on ${path.slice(0, 100)}; use ${allowed.join(' or ')}.`, {
        details: { allowed },
      });
    }
    throw new ModelBundleError('NOT_FOUND', `No endpoint ${request.method} ${path.slice(0, 100)}. Endpoints: ${routes.describe()}.`);
  });

  const handler = predictHandler({ model, batcher, types, maxRows, unseenLevels, metrics });
  for (const path of ['/predict', '/invocations']) {
    routes.add('POST', path);
    app.post(path, (request: FastifyRequest) => handler(request));
  }
  addOperationRoutes(app, routes, { model, openapi, rowSchema, example, metrics, unseenLevels, log: app.log });
  // The server restored the model, so it owns it: a tfjs model holds tensors nobody else would free.
  app.addHook('onClose', async () => {
    (model.value as { dispose?: () => void } | null)?.dispose?.();
  });
  // Allow lists what each path answers; with CORS on, OPTIONS too.
  if (options.corsOrigins && options.corsOrigins.length > 0) routes.addToAll('OPTIONS');
  return app;
}

function toBuffer(value: string | Uint8Array): Buffer {
  return typeof value === 'string' ? Buffer.from(value) : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}
