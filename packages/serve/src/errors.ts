import { asModelBundleError, type ErrorBody, ErrorCodes, errorBody, ModelBundleError } from '@modelbundle/core';

/** An error response: the status (always the one ErrorCodes gives for the body's code) and its body. */
export interface ErrorResponse {
  status: number;
  body: ErrorBody;
}

/** What a request-level error needs to be explained. */
export interface ErrorContext {
  bodyLimit: number;
  contentType?: string | undefined;
}

/**
 * Maps anything thrown while handling a request to a response, through the
 * one error map of @modelbundle/core: the status is `ErrorCodes[code].http`
 * and the body is core's `errorBody`, so every transport agrees. Errors from
 * the client's side (bad JSON, wrong content type, too large, rows the model
 * refuses) get their 4xx code; only real faults of the server give INTERNAL (500).
 */
export function errorResponse(error: unknown, context: ErrorContext): ErrorResponse {
  const bundleError = toModelBundleError(error, context);
  return { status: ErrorCodes[bundleError.code].http, body: errorBody(bundleError) };
}

/** Anything thrown while handling a request, as a ModelBundleError with the right code. */
export function toModelBundleError(error: unknown, { bodyLimit, contentType }: ErrorContext): ModelBundleError {
  const known = asModelBundleError(error);
  if (known) return known;
  const fastifyError = error as { code?: string; statusCode?: number; message?: string };
  const found = (fastifyError.message ?? String(error)).slice(0, 300);
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ModelBundleError(
        'PAYLOAD_TOO_LARGE',
        `The request body is larger than the limit of ${bodyLimit} bytes. Send fewer rows per request, or start the server with a larger body limit (--body-limit, MODELBUNDLE_BODY_LIMIT).`,
        { details: { bodyLimit } },
      );
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ModelBundleError(
        'UNSUPPORTED_MEDIA_TYPE',
        `The content type ${contentType ? JSON.stringify(contentType.slice(0, 100)) : '(none)'} is not supported. Send JSON ("content-type: application/json") or CSV ("content-type: text/csv").`,
      );
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ModelBundleError('INVALID_INPUT', 'The request body is empty; send a JSON array of rows, e.g. [{"column": 1}].');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ModelBundleError('INVALID_INPUT', `${found}. Send a valid JSON array of rows.`);
  }
  const status = typeof fastifyError.statusCode === 'number' ? fastifyError.statusCode : 500;
  if (error instanceof SyntaxError || (status >= 400 && status < 500)) {
    const what = error instanceof SyntaxError ? `The request body is not valid JSON (${found}). Send a JSON array of rows.` : found;
    return new ModelBundleError('INVALID_INPUT', what);
  }
  return new ModelBundleError(
    'INTERNAL',
    `The server failed while handling the request: ${found}. This is a bug in the server or the model's plugin; the server log has the stack trace.`,
  );
}
