import { type Inspection, inspection, readHead } from '../envelope/bundle.js';
import { PREFIX_BYTES } from '../envelope/constants.js';
import { decodePrefix } from '../envelope/prefix.js';
import { isModelBundleError, ModelBundleError } from '../errors.js';
import { BodyReader } from './body-reader.js';
import { contentRange, fetchRange, plainLength, type RangeFetchOptions } from './range.js';

/** Options for {@link inspectUrl}. */
export interface InspectUrlOptions extends RangeFetchOptions {
  /**
   * Bytes asked for by the first request (default 64 KiB). A header that
   * fits is read in one round trip; a larger one costs exactly one more.
   */
  firstChunk?: number;
}

/** What {@link inspectUrl} returns: an {@link Inspection} plus what it cost. */
export interface RemoteInspection extends Inspection {
  /** Response body bytes received (the rest of the file never travelled). */
  bytesRead: number;
  /** HTTP requests made: 1, or 2 when the header was larger than the first chunk. */
  requests: number;
  /** False when the server ignored the Range request and started sending the whole file (it was cancelled). */
  rangeSupported: boolean;
}

const DEFAULT_FIRST_CHUNK = 64 * 1024;

/**
 * Reads only the prefix and header of a remote bundle, with HTTP Range
 * requests: one for the first `firstChunk` bytes, and a second only when the
 * header is larger. When the server ignores Range and answers 200 with the
 * whole file, just the bytes needed are read from the stream and the rest is
 * cancelled. The header digest is checked, and the file length the server
 * reports must match the prefix (TRUNCATED otherwise).
 *
 * In a browser, a cross-origin server must allow the request (CORS) and
 * should expose `Content-Range` so the total size can be checked.
 */
export async function inspectUrl(url: string | URL, options: InspectUrlOptions = {}): Promise<RemoteInspection> {
  const firstChunk = Math.max(PREFIX_BYTES, Math.floor(options.firstChunk ?? DEFAULT_FIRST_CHUNK));
  const where = String(url);
  let requests = 1;
  let bytesRead = 0;
  const first = await fetchRange(url, 0, firstChunk, options);
  const ranged = first.status === 206;
  const body = new BodyReader(first.body);
  try {
    const total = ranged ? contentRange(first, 0, where).total : plainLength(first);
    let head = await body.fill(PREFIX_BYTES);
    const prefix = decodePrefix(head, total ?? shortFile(body, ranged ? firstChunk : undefined));
    const needed = PREFIX_BYTES + prefix.headerLength;
    head = await body.fill(needed);
    bytesRead = body.received;
    await body.cancel();
    // A range answer that stopped short of the header, in a file known (or likely) to hold more:
    // ask for the rest. Servers may cap range sizes, so go on while each answer brings bytes.
    while (ranged && head.length < needed && (total === undefined ? head.length >= firstChunk : head.length < total)) {
      requests++;
      const rest = await fetchRest(url, head.length, needed, where, options);
      bytesRead += rest.received;
      if (rest.bytes.length === 0) break;
      const joined = new Uint8Array(head.length + rest.bytes.length);
      joined.set(head);
      joined.set(rest.bytes, head.length);
      head = joined;
    }
    const { header } = await readHead(head.subarray(0, Math.min(head.length, needed)));
    return {
      ...inspection(header, prefix),
      bytesRead,
      requests,
      rangeSupported: ranged,
    };
  } catch (error) {
    throw withUrl(error, where);
  } finally {
    await body.cancel();
  }
}

/**
 * The file's size when the body proves it: the body ended before the end of
 * the requested range (or, without a range, ended at all).
 */
function shortFile(body: BodyReader, requested: number | undefined): number | undefined {
  if (!body.ended) return undefined;
  return requested === undefined || body.received < requested ? body.received : undefined;
}

/** Bytes `from` up to `to` (exclusive) of the file, from another request, and the body bytes it cost. */
async function fetchRest(
  url: string | URL,
  from: number,
  to: number,
  where: string,
  options: RangeFetchOptions,
): Promise<{ bytes: Uint8Array; received: number }> {
  const response = await fetchRange(url, from, to - from, options);
  const body = new BodyReader(response.body);
  try {
    if (response.status === 206) {
      contentRange(response, from, where);
      const bytes = (await body.fill(to - from)).slice(0, to - from);
      return { bytes, received: body.received };
    }
    // The server stopped honouring Range: read from the start and skip what we already have.
    const bytes = (await body.fill(to)).slice(from, to);
    return { bytes, received: body.received };
  } finally {
    await body.cancel();
  }
}

/** Names the URL in a decoding error, keeping its code and details; a failed read becomes IO_ERROR. */
function withUrl(error: unknown, where: string): unknown {
  if (!isModelBundleError(error)) {
    return new ModelBundleError(
      'IO_ERROR',
      `Reading ${where} failed: ${(error as Error)?.message ?? String(error)}. Check the network and the server, then try again.`,
      {
        cause: error,
        details: { url: where },
      },
    );
  }
  if (error.message.includes(where)) return error;
  return new ModelBundleError(error.code, `${where}: ${error.message}`, { cause: error, details: { ...error.details, url: where } });
}
