import type { Registry, UnseenLevelPolicy } from '@modelbundle/core';
import { ModelBundleError } from '@modelbundle/core';
import type { FastifyBaseLogger } from 'fastify';
import type { ModelSource } from './load-model.js';

/** Log levels, quietest last. */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

/** Which routes need the bearer token: the prediction routes only, or every route but /healthz and /readyz. */
export type AuthScope = 'predict' | 'all';

/** Options for {@link createServer}: where the model comes from, plus the {@link ServerTuning}. */
export type ServerOptions = ModelSource &
  ServerTuning & {
    /** Registry that restores the bundle (default: the default registry, which autoloads installed plugins). */
    registry?: Registry;
    /** A logger of your own (pino-compatible); overrides `logLevel`. */
    logger?: FastifyBaseLogger;
  };

/** How the server behaves. Every option is also a `modelbundle serve` flag and a `MODELBUNDLE_*` variable (see {@link ENV_OPTIONS}). */
export interface ServerTuning {
  /** Request log level (default `info`: one JSON line per request, with its request id). `silent` turns logging off. */
  logLevel?: LogLevel;
  /**
   * Largest accepted request body in bytes; larger bodies get 413. Default:
   * room for `maxRows` rows of the widest row the ptype allows (see
   * {@link defaultBodyLimit}), at least 1 MiB.
   */
  bodyLimit?: number;
  /** Most rows accepted in one predict request (default 10,000); more get 413. */
  maxRows?: number;
  /**
   * Longest time in milliseconds a client may take to send a whole request,
   * headers and body (default 30 s; 0 turns the limit off). A client that
   * stalls gets 408 and its connection is closed, so it cannot hold a socket forever.
   */
  requestTimeout?: number;
  /**
   * A string value that is not one of its column's levels: `error` refuses
   * the request with 400 naming the column, value, allowed values and the
   * closest one; `zero` predicts with the level encoded as all zeros and adds
   * a `warnings` list to the response. Default: the model's own choice in its
   * ptype, else `error`.
   */
  unseenLevels?: UnseenLevelPolicy;
  /**
   * Adaptive batching: concurrent predict requests are joined into one model
   * call of at most `maxRows` rows, waiting at most `maxWaitMs` for more to
   * arrive while the model is idle. Default `{ maxRows: 512, maxWaitMs: 0 }`
   * (requests that arrive while the model is busy, or in the same turn of
   * the event loop, are joined; an idle model does not wait: on the
   * benchmarks a 2 ms wait lowered throughput at every load measured);
   * `false` predicts each request alone.
   */
  batch?: { maxRows?: number; maxWaitMs?: number } | false;
  /** Origins allowed to call the server from a browser (CORS), or `['*']` for any. Default: none (same origin only). */
  corsOrigins?: readonly string[];
  /** Bearer tokens accepted (compared in constant time; never logged). Default: none, no authentication. */
  authTokens?: readonly string[];
  /** Which routes need a token (default `predict`: /predict and /invocations). */
  authScope?: AuthScope;
  /** TLS key and certificate (PEM); the server then speaks HTTPS. */
  tls?: { key: string | Uint8Array; cert: string | Uint8Array };
}

/** The default number of rows accepted in one predict request. */
export const DEFAULT_MAX_ROWS = 10_000;
/** The default time a client has to send a whole request: 30 s. */
export const DEFAULT_REQUEST_TIMEOUT = 30_000;
/** The smallest default body limit: 1 MiB. */
export const DEFAULT_BODY_LIMIT = 1024 * 1024;
/** Default adaptive batching: up to 512 rows per model call, 2 ms of waiting for more. */
export const DEFAULT_BATCH = { maxRows: 512, maxWaitMs: 0 } as const;

/**
 * The environment variables every server option can be set by, as for `pnpm
 * start` and in containers (flags win over variables, options of
 * `createServer` over both):
 *
 * | variable | option |
 * |---|---|
 * | MODELBUNDLE_PORT, MODELBUNDLE_HOST | port, host (serve() only) |
 * | MODELBUNDLE_LOG_LEVEL | logLevel |
 * | MODELBUNDLE_BODY_LIMIT | bodyLimit (bytes) |
 * | MODELBUNDLE_MAX_ROWS | maxRows |
 * | MODELBUNDLE_REQUEST_TIMEOUT | requestTimeout (ms) |
 * | MODELBUNDLE_UNSEEN_LEVELS | unseenLevels (`error` or `zero`) |
 * | MODELBUNDLE_BATCH_MAX_ROWS, MODELBUNDLE_BATCH_MAX_WAIT_MS | batch (MAX_ROWS=0 turns batching off) |
 * | MODELBUNDLE_CORS_ORIGINS | corsOrigins (comma-separated, or `*`) |
 * | MODELBUNDLE_AUTH_TOKEN, MODELBUNDLE_AUTH_TOKEN_FILE | authTokens (the file: one token per line) |
 * | MODELBUNDLE_AUTH_SCOPE | authScope (`predict` or `all`) |
 * | MODELBUNDLE_TLS_KEY, MODELBUNDLE_TLS_CERT | tls (paths of PEM files) |
 */
export const ENV_OPTIONS = [
  'MODELBUNDLE_PORT',
  'MODELBUNDLE_HOST',
  'MODELBUNDLE_LOG_LEVEL',
  'MODELBUNDLE_BODY_LIMIT',
  'MODELBUNDLE_MAX_ROWS',
  'MODELBUNDLE_REQUEST_TIMEOUT',
  'MODELBUNDLE_UNSEEN_LEVELS',
  'MODELBUNDLE_BATCH_MAX_ROWS',
  'MODELBUNDLE_BATCH_MAX_WAIT_MS',
  'MODELBUNDLE_CORS_ORIGINS',
  'MODELBUNDLE_AUTH_TOKEN',
  'MODELBUNDLE_AUTH_TOKEN_FILE',
  'MODELBUNDLE_AUTH_SCOPE',
  'MODELBUNDLE_TLS_KEY',
  'MODELBUNDLE_TLS_CERT',
] as const;

/** Server settings as plain values, as flags and environment variables give them (files not read yet). */
export interface ServerSettings {
  port?: number;
  host?: string;
  logLevel?: LogLevel;
  bodyLimit?: number;
  maxRows?: number;
  requestTimeout?: number;
  unseenLevels?: UnseenLevelPolicy;
  batchMaxRows?: number;
  batchMaxWaitMs?: number;
  corsOrigins?: string[];
  authToken?: string;
  authTokenFile?: string;
  authScope?: AuthScope;
  tlsKey?: string;
  tlsCert?: string;
}

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/** Reads the `MODELBUNDLE_*` variables (see {@link ENV_OPTIONS}); a bad value is INVALID_ARGUMENT naming the variable. */
export function settingsFromEnv(env: Record<string, string | undefined> = process.env): ServerSettings {
  const settings: ServerSettings = {};
  const text = (name: string) => (env[name] === undefined || env[name] === '' ? undefined : env[name]);
  const int = (name: string, min: number) => {
    const value = text(name);
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < min)
      throw new ModelBundleError('INVALID_ARGUMENT', `${name}=${value.slice(0, 40)} is not a whole number of at least ${min}.`);
    return n;
  };
  const choice = <T extends string>(name: string, choices: readonly string[]) => {
    const value = text(name);
    if (value !== undefined && !choices.includes(value))
      throw new ModelBundleError('INVALID_ARGUMENT', `${name}=${value.slice(0, 40)}; expected one of ${choices.join(', ')}.`);
    return value as T | undefined;
  };
  const set = <K extends keyof ServerSettings>(key: K, value: ServerSettings[K] | undefined) => {
    if (value !== undefined) settings[key] = value;
  };
  set('port', int('MODELBUNDLE_PORT', 0));
  set('host', text('MODELBUNDLE_HOST'));
  set('logLevel', choice<LogLevel>('MODELBUNDLE_LOG_LEVEL', LOG_LEVELS));
  set('bodyLimit', int('MODELBUNDLE_BODY_LIMIT', 1));
  set('maxRows', int('MODELBUNDLE_MAX_ROWS', 1));
  set('requestTimeout', int('MODELBUNDLE_REQUEST_TIMEOUT', 0));
  set('unseenLevels', choice<UnseenLevelPolicy>('MODELBUNDLE_UNSEEN_LEVELS', ['error', 'zero']));
  set('batchMaxRows', int('MODELBUNDLE_BATCH_MAX_ROWS', 0));
  set('batchMaxWaitMs', int('MODELBUNDLE_BATCH_MAX_WAIT_MS', 0));
  set(
    'corsOrigins',
    text('MODELBUNDLE_CORS_ORIGINS')
      ?.split(',')
      .map((origin) => origin.trim())
      .filter(Boolean),
  );
  set('authToken', text('MODELBUNDLE_AUTH_TOKEN'));
  set('authTokenFile', text('MODELBUNDLE_AUTH_TOKEN_FILE'));
  set('authScope', choice<AuthScope>('MODELBUNDLE_AUTH_SCOPE', ['predict', 'all']));
  set('tlsKey', text('MODELBUNDLE_TLS_KEY'));
  set('tlsCert', text('MODELBUNDLE_TLS_CERT'));
  return settings;
}
