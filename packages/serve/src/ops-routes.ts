import { randomBytes } from 'node:crypto';
import { CORE_VERSION, isModelBundleError, type UnseenLevelPolicy } from '@modelbundle/core';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply } from 'fastify';
import { docsPage } from './docs-page.js';
import type { LoadedModel } from './load-model.js';
import type { ServerMetrics } from './metrics.js';
import type { RouteTable } from './route-table.js';
import { SERVE_VERSION } from './version.js';

/** What the operation and description routes serve. */
export interface OperationContext {
  model: LoadedModel;
  openapi: Record<string, unknown>;
  rowSchema: Record<string, unknown>;
  example: Record<string, unknown>;
  metrics: ServerMetrics;
  unseenLevels: UnseenLevelPolicy;
  log: FastifyBaseLogger;
}

/**
 * The routes besides prediction: the docs page (`/`, `/docs`),
 * `/openapi.json`, `/healthz` (the process answers), `/readyz` (503 until
 * the model has made one warm-up prediction from the example row),
 * `/ping`, `/version`, `/metrics` (Prometheus text), `/metadata`, `/prototype`.
 */
export function addOperationRoutes(app: FastifyInstance, routes: RouteTable, context: OperationContext): void {
  const { model, openapi, rowSchema, example, metrics, unseenLevels } = context;
  const { header } = model;
  const get = (path: string, handler: (request: unknown, reply: FastifyReply) => unknown) => {
    routes.add('GET', path);
    app.get(path, handler as never);
  };
  const readiness = warmUp(context);

  const sendDocs = (_: unknown, reply: FastifyReply) => {
    const nonce = randomBytes(16).toString('base64');
    return reply
      .header('content-type', 'text/html; charset=utf-8')
      .header(
        'content-security-policy',
        `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; base-uri 'none'; form-action 'none'`,
      )
      .send(docsPage((openapi.info as { title: string }).title, nonce));
  };
  get('/', sendDocs);
  get('/docs', sendDocs);
  get('/openapi.json', async () => openapi);
  get('/ping', async () => ({ status: 'ok' }));
  get('/healthz', async () => ({ status: 'ok' }));
  get('/readyz', async (_, reply) => {
    const state = readiness.state();
    if (state.ready) return { status: 'ready' };
    return reply.status(503).send({ status: state.error ? 'failed' : 'starting', ...(state.error ? { error: state.error } : {}) });
  });
  get('/version', async () => ({
    packages: { '@modelbundle/core': CORE_VERSION, '@modelbundle/serve': SERVE_VERSION },
    node: process.versions.node,
    bundle: {
      kind: header.kind,
      format: header.format,
      serializer: header.serializer,
      digest: model.digest,
      created: header.created,
    },
  }));
  get('/metrics', async (_, reply) => reply.header('content-type', metrics.registry.contentType).send(await metrics.registry.metrics()));
  get('/metadata', async () => ({
    kind: header.kind,
    format: header.format,
    serializer: header.serializer,
    producer: header.producer,
    created: header.created,
    requires: header.requires,
    metadata: header.metadata,
    summary: header.summary,
    types: model.predictor.types,
  }));
  get('/prototype', async () => ({ ptype: model.ptype, schema: rowSchema, example, unseenLevels }));
}

/** Makes one prediction from the example row in the background; /readyz answers 200 once it has succeeded. */
function warmUp({ model, example, log }: OperationContext): { state(): { ready: boolean; error?: string } } {
  let ready = model.ptype === null;
  let error: string | undefined;
  if (!ready) {
    model.predictor.predict([example]).then(
      () => {
        ready = true;
      },
      (cause) => {
        error = `The warm-up prediction from the example row failed: ${isModelBundleError(cause) ? cause.message : String(cause)}`.slice(0, 2_000);
        log.error({ err: cause }, 'warm-up prediction failed; /readyz answers 503');
      },
    );
  }
  return { state: () => (error === undefined ? { ready } : { ready, error }) };
}
