import { escapeControl } from './text.js';

/**
 * Every failure modelbundle reports is a {@link ModelBundleError} whose `code`
 * comes from this one map. Each code carries the HTTP status a server answers
 * with and the exit code the CLI ends with, so every consumer agrees.
 */
export const ErrorCodes = {
  /** The bytes do not start with the bundle magic: not a bundle at all. */
  NOT_A_BUNDLE: { http: 400, exit: 10 },
  /** The file is shorter (or longer) than its prefix says. */
  TRUNCATED: { http: 400, exit: 11 },
  /** A digest does not match: the bytes were modified or damaged. */
  CORRUPT: { http: 400, exit: 12 },
  /** The header or section table breaks a rule of the format. */
  MALFORMED: { http: 400, exit: 13 },
  /** A size, count or depth exceeds a limit of the format. */
  LIMIT_EXCEEDED: { http: 413, exit: 14 },
  /** The bundle needs a newer format major than this reader implements. */
  UNSUPPORTED_FORMAT: { http: 422, exit: 15 },
  /** No serializer is registered for the bundle's kind. */
  UNKNOWN_KIND: { http: 422, exit: 16 },
  /** The registered serializer cannot read this payload version. */
  UNSUPPORTED_PAYLOAD: { http: 422, exit: 17 },
  /** A runtime package the bundle requires is missing or out of range (strict mode). */
  REQUIREMENT_UNMET: { http: 422, exit: 18 },
  /** The signature is missing, malformed or made by an untrusted key. */
  SIGNATURE_INVALID: { http: 401, exit: 19 },
  /** No registered serializer accepts the value given to bundle(). */
  NO_SERIALIZER: { http: 422, exit: 20 },
  /** Two serializers were registered under one kind. */
  DUPLICATE_SERIALIZER: { http: 500, exit: 21 },
  /** The model could not be serialized or restored. */
  SERIALIZATION_FAILED: { http: 500, exit: 22 },
  /** A class the bundle needs (for example a custom layer) is not registered. */
  UNKNOWN_CLASS: { http: 422, exit: 23 },
  /** The model bytes were not captured at fit time, so it cannot be restored. */
  MODEL_NOT_CAPTURED: { http: 409, exit: 24 },
  /** Input rows do not match the model's input prototype. */
  INVALID_INPUT: { http: 400, exit: 25 },
  /** The bundle's serializer gives no predictor. */
  NO_PREDICTOR: { http: 501, exit: 26 },
  /** A function was called with arguments it cannot use. */
  INVALID_ARGUMENT: { http: 400, exit: 2 },
  /** Reading or writing a file failed. */
  IO_ERROR: { http: 500, exit: 27 },
  /** A named thing (a board, model, version or alias, a file, an endpoint) does not exist. */
  NOT_FOUND: { http: 404, exit: 28 },
  /** A bug: something that should not happen did. */
  INTERNAL: { http: 500, exit: 1 },
  // Transport codes: what a server (or the CLI) answers about the request itself; NOT_FOUND above is one too.
  /** The endpoint exists but not for this HTTP method (the response lists the allowed ones). */
  METHOD_NOT_ALLOWED: { http: 405, exit: 29 },
  /** The request body's content type is not one the endpoint reads. */
  UNSUPPORTED_MEDIA_TYPE: { http: 415, exit: 30 },
  /** The request (or an operation) did not complete in the time allowed. */
  TIMEOUT: { http: 408, exit: 31 },
  /** The request body is larger than the server accepts. */
  PAYLOAD_TOO_LARGE: { http: 413, exit: 32 },
  /** The request line and headers are larger than the server accepts. */
  HEADERS_TOO_LARGE: { http: 431, exit: 33 },
  /** The request lacks valid credentials (a bearer token) for this endpoint. */
  UNAUTHORIZED: { http: 401, exit: 34 },
  /** The service cannot answer yet (the model is still loading) or any more (shutting down). */
  UNAVAILABLE: { http: 503, exit: 35 },
} as const satisfies Record<string, { http: number; exit: number }>;

/** One of the keys of {@link ErrorCodes}. */
export type ErrorCode = keyof typeof ErrorCodes;

/** Options for {@link ModelBundleError}: the underlying cause and machine-readable details. */
export interface ModelBundleErrorOptions {
  /** The error that led to this one (kept as the standard `Error.cause`). */
  cause?: unknown;
  /** Structured facts about the failure (for example the damaged region), safe to show. */
  details?: Record<string, unknown>;
}

/**
 * The single error class of modelbundle. The message says what was found,
 * what was expected and what to do next; `code` says which kind of failure.
 */
export class ModelBundleError extends Error {
  override readonly name = 'ModelBundleError';
  /** Which kind of failure this is; see {@link ErrorCodes}. */
  readonly code: ErrorCode;
  /** Structured facts (for example `region`, `expected`, `found`); empty when there are none. */
  readonly details: Record<string, unknown>;

  /** Creates an error; `message` says what was found, what was expected and what to do. */
  constructor(code: ErrorCode, message: string, options: ModelBundleErrorOptions = {}) {
    // Messages quote text from files and requests: control characters are escaped so no message can steer a terminal or split a log line.
    super(escapeControl(message), options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
  }

  /** The HTTP status a server answers with for this error. */
  get httpStatus(): number {
    return ErrorCodes[this.code].http;
  }

  /** The exit code the CLI ends with for this error. */
  get exitCode(): number {
    return ErrorCodes[this.code].exit;
  }

  /** A plain object for JSON responses and `--json` output. */
  toJSON(): { code: ErrorCode; message: string; details: Record<string, unknown> } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

/** True when `error` is a {@link ModelBundleError}, optionally with the given code. */
export function isModelBundleError(error: unknown, code?: ErrorCode): error is ModelBundleError {
  return error instanceof ModelBundleError && (code === undefined || error.code === code);
}

/**
 * The error as a {@link ModelBundleError}, also when it was thrown by another
 * copy of @modelbundle/core (a plugin that brings its own): such an error
 * fails `instanceof` but keeps its name, code and details. Undefined for any
 * other error.
 */
export function asModelBundleError(error: unknown): ModelBundleError | undefined {
  if (error instanceof ModelBundleError) return error;
  const candidate = error as { name?: unknown; code?: unknown; message?: unknown; details?: unknown } | null;
  if (candidate?.name !== 'ModelBundleError' || typeof candidate.code !== 'string' || !(candidate.code in ErrorCodes)) return undefined;
  return new ModelBundleError(candidate.code as ErrorCode, String(candidate.message), {
    details: (candidate.details as Record<string, unknown>) ?? {},
    cause: error,
  });
}

/** Largest error body a transport sends, in bytes (JSON, UTF-8). */
export const MAX_ERROR_BODY_BYTES = 16 * 1024;

/** The JSON body of every error response a transport sends. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; details: Record<string, unknown> };
}

/**
 * The one error body every transport sends (HTTP responses, `--json` CLI
 * output): `{ error: { code, message, details } }`, bounded. The message is
 * cut at 4,000 characters and the details are dropped (noted as
 * `details.truncated`) when the whole body would pass 16 KiB, so a hostile
 * input cannot make an error response large.
 */
export function errorBody(error: ModelBundleError): ErrorBody {
  const message = error.message.length > 4_000 ? `${error.message.slice(0, 3_999)}…` : error.message;
  const body: ErrorBody = { error: { code: error.code, message, details: error.details } };
  let size: number;
  try {
    size = new TextEncoder().encode(JSON.stringify(body)).length;
  } catch {
    size = Number.POSITIVE_INFINITY;
  }
  if (size > MAX_ERROR_BODY_BYTES) body.error.details = { truncated: true };
  return body;
}
