import { ModelBundleError } from '../errors.js';

/** How {@link inspectUrl} talks HTTP. */
export interface RangeFetchOptions {
  /** The fetch to use (default `globalThis.fetch`), for example one that adds authentication. */
  fetch?: (input: string | URL, init?: RequestInit) => Promise<Response>;
  /** Extra request settings (headers, credentials, signal). The Range header is set by modelbundle. */
  init?: RequestInit;
}

/** GETs `length` bytes from `start` with a Range request; a 200 (Range ignored) or 206 comes back, anything else is an IO_ERROR. */
export async function fetchRange(url: string | URL, start: number, length: number, options: RangeFetchOptions): Promise<Response> {
  const doFetch = options.fetch ?? globalThis.fetch;
  const headers = new Headers(options.init?.headers);
  headers.set('Range', `bytes=${start}-${start + length - 1}`);
  let response: Response;
  try {
    response = await doFetch(url, { ...options.init, headers });
  } catch (cause) {
    throw new ModelBundleError(
      'IO_ERROR',
      `Fetching ${String(url)} failed: ${(cause as Error).message}. Check the URL, the network and (in a browser) the server's CORS headers.`,
      { cause, details: { url: String(url) } },
    );
  }
  if (response.status === 416) {
    // Nothing at that offset: the file is shorter than `start`, so its first bytes are all we would get.
    await response.body?.cancel().catch(() => {});
    return new Response(new Uint8Array(0), { status: 206, headers: { 'Content-Range': `bytes */${start}` } });
  }
  if (response.status !== 200 && response.status !== 206) {
    await response.body?.cancel().catch(() => {});
    throw new ModelBundleError(
      'IO_ERROR',
      `Fetching ${String(url)} answered HTTP ${response.status} ${response.statusText}; expected 200 or 206. Check the URL and the server.`,
      { details: { url: String(url), status: response.status } },
    );
  }
  return response;
}

/**
 * Reads `Content-Range: bytes <first>-<last>/<total>` of a 206 response and
 * checks it starts where asked. Both values are undefined when the header is
 * not visible (a cross-origin server that does not expose it).
 */
export function contentRange(response: Response, start: number, where: string): { total?: number } {
  const value = response.headers.get('Content-Range');
  if (value === null) return {};
  const match = /^bytes\s+(?:(\d+)-(\d+)|\*)\/(\d+|\*)$/i.exec(value.trim());
  if (!match) {
    throw new ModelBundleError('IO_ERROR', `The server at ${where} answered Content-Range "${value}", which is not a byte range. Check its Range support.`);
  }
  if (match[1] !== undefined && Number(match[1]) !== start) {
    throw new ModelBundleError(
      'IO_ERROR',
      `The server at ${where} answered bytes from ${match[1]}, but bytes from ${start} were asked for. Check its Range support.`,
    );
  }
  return match[3] === '*' || match[3] === undefined ? {} : { total: Number(match[3]) };
}

/** The size of a whole-file (200) response, when the server states it and the body is not re-encoded. */
export function plainLength(response: Response): number | undefined {
  const encoding = response.headers.get('Content-Encoding');
  const length = response.headers.get('Content-Length');
  if (length === null || (encoding !== null && encoding !== 'identity')) return undefined;
  const n = Number(length);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}
