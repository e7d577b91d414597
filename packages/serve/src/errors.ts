import { asModelBundleError, type ErrorCode } from '@modelbundle/core';
import type { FastifyError } from 'fastify';

/** The JSON body of every error response. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; details: Record<string, unknown> };
}

/** An error response: the status and its body. */
export interface ErrorResponse {
  status: number;
  body: ErrorBody;
}

/**
 * Maps anything thrown while handling a request to a response. Errors from
 * the client's side (bad JSON, wrong content type, too large, rows the model
 * refuses) keep their 4xx status; only real faults of the server give 500.
 */
export function errorResponse(error: unknown, bodyLimit: number, contentType?: string): ErrorResponse {
  const bundleError = asModelBundleError(error);
  if (bundleError) return { status: bundleError.httpStatus, body: { error: bundleError.toJSON() } };
  const fastifyError = error as Partial<FastifyError>;
  const status = typeof fastifyError.statusCode === 'number' ? fastifyError.statusCode : 500;
  const found = fastifyError.message ?? String(error);
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return reply(
        413,
        'LIMIT_EXCEEDED',
        `The request body is larger than the limit of ${bodyLimit} bytes. Send fewer rows per request, or start the server with a larger body limit.`,
      );
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return reply(
        415,
        'INVALID_INPUT',
        `The content type ${contentType ? `"${contentType}"` : '(none)'} is not supported. Send the rows as JSON with the header "content-type: application/json".`,
      );
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return reply(400, 'INVALID_INPUT', 'The request body is empty; send a JSON array of rows, e.g. [{"column": 1}].');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return reply(400, 'INVALID_INPUT', `${found}. Send a valid JSON array of rows.`);
  }
  if (status >= 400 && status < 500) {
    const what = error instanceof SyntaxError ? `The request body is not valid JSON (${found}). Send a JSON array of rows.` : found;
    return reply(status, 'INVALID_INPUT', what);
  }
  return reply(
    500,
    'INTERNAL',
    `The server failed while handling the request: ${found}. This is a bug in the server or the model's plugin; the server log has the stack trace.`,
  );
}

function reply(status: number, code: ErrorCode, message: string): ErrorResponse {
  return { status, body: { error: { code, message, details: {} } } };
}
