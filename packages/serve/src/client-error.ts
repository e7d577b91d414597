import type { Socket } from 'node:net';
import { ErrorCodes, errorBody, ModelBundleError } from '@modelbundle/core';

/**
 * Answers a request that Node's HTTP parser refused before any route saw it
 * (a request not received in full within the request timeout, headers too
 * large, malformed HTTP) with the server's usual JSON error body and the
 * status ErrorCodes gives its code, then closes the connection.
 */
export function clientErrorHandler(requestTimeout: number): (error: Error & { code?: string }, socket: Socket) => void {
  return (error, socket) => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const bundleError = describeClientError(error, requestTimeout);
    const status = ErrorCodes[bundleError.code].http;
    // A response already started on this connection must not be followed by a second one.
    if (socket.writable && socket.bytesWritten === 0) {
      const body = JSON.stringify(errorBody(bundleError));
      socket.write(
        `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    }
    socket.destroy(error);
  };
}

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 413: 'Payload Too Large', 431: 'Request Header Fields Too Large' };

function describeClientError(error: Error & { code?: string }, requestTimeout: number): ModelBundleError {
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return new ModelBundleError(
      'TIMEOUT',
      `The request was not received in full within ${requestTimeout} ms, so the connection is closed. Send the headers and the whole body without pausing.`,
    );
  }
  if (error.code === 'HPE_HEADER_OVERFLOW') {
    return new ModelBundleError(
      'HEADERS_TOO_LARGE',
      'The request line and headers exceed the size limit (16 KiB by default). Send a shorter URL and fewer or shorter headers.',
    );
  }
  return new ModelBundleError(
    'INVALID_INPUT',
    `The request is not valid HTTP/1.1 (${String(error.code ?? error.message).slice(0, 100)}). Send a well-formed request, e.g. with curl or fetch.`,
  );
}
