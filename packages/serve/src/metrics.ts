import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** The server's Prometheus metrics, on a registry of its own (two servers in one process do not mix). */
export interface ServerMetrics {
  registry: Registry;
  requests: Counter<'route' | 'method' | 'status'>;
  latency: Histogram<'route' | 'method'>;
  rows: Counter;
  batchRows: Histogram;
  batchRequests: Histogram;
  warnings: Counter<'code'>;
}

/** What `modelbundle_model_info` reports about the served bundle. */
export interface ModelInfo {
  kind: string;
  serializer: string;
  serializerVersion: string;
  digest: string;
}

/**
 * Creates the metrics GET /metrics serves in the Prometheus text format:
 * requests by route, method and status; latency histograms by route; rows
 * predicted; rows and requests per model call (batch sizes); warnings
 * (unseen levels) by code; `modelbundle_model_info`; and the process
 * metrics prom-client collects by default.
 */
export function createMetrics(model: ModelInfo): ServerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const info = new Gauge({
    name: 'modelbundle_model_info',
    help: 'The served bundle: kind, serializer and header digest (value 1).',
    labelNames: ['kind', 'serializer', 'serializer_version', 'digest'],
    registers: [registry],
  });
  info.set({ kind: model.kind, serializer: model.serializer, serializer_version: model.serializerVersion, digest: model.digest }, 1);
  return {
    registry,
    requests: new Counter({
      name: 'modelbundle_http_requests_total',
      help: 'HTTP requests answered, by route, method and status.',
      labelNames: ['route', 'method', 'status'],
      registers: [registry],
    }),
    latency: new Histogram({
      name: 'modelbundle_http_request_duration_seconds',
      help: 'Time to answer an HTTP request, by route and method.',
      labelNames: ['route', 'method'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    rows: new Counter({ name: 'modelbundle_rows_predicted_total', help: 'Rows predicted.', registers: [registry] }),
    batchRows: new Histogram({
      name: 'modelbundle_batch_rows',
      help: 'Rows per model call (adaptive batching joins concurrent requests).',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096, 10000],
      registers: [registry],
    }),
    batchRequests: new Histogram({
      name: 'modelbundle_batch_requests',
      help: 'Requests joined into one model call.',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128],
      registers: [registry],
    }),
    warnings: new Counter({
      name: 'modelbundle_prediction_warnings_total',
      help: 'Values accepted with a warning (UNSEEN_LEVEL: a level unseen at fit time, encoded as zeros).',
      labelNames: ['code'],
      registers: [registry],
    }),
  };
}
