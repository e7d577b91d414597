import { Readable } from 'node:stream';
import { ModelBundleError } from '@modelbundle/core';
import type { BoardStorage } from './storage.js';

/** Options for {@link HttpStorage}. */
export interface HttpStorageOptions {
  /** The fetch to use (default `globalThis.fetch`), for example one that adds authentication. */
  fetch?: typeof globalThis.fetch;
  /** Extra request headers (for example Authorization). */
  headers?: Record<string, string>;
}

/**
 * A read-only board published by any web server that serves the board's
 * folder (nginx, a CDN, S3 website hosting). Headers are read with Range
 * requests. A web server cannot list, so versions and names come from the
 * `_index.json` files writers keep up to date (see docs/BOARDS.md).
 */
export class HttpStorage implements BoardStorage {
  readonly location: string;
  private readonly fetch: typeof globalThis.fetch;
  private readonly headers: Record<string, string>;

  /** Opens the board whose root is `url`. */
  constructor(url: string, options: HttpStorageOptions = {}) {
    this.location = url.replace(/\/+$/, '');
    this.fetch = options.fetch ?? globalThis.fetch;
    this.headers = options.headers ?? {};
  }

  conditionalWrites = async (): Promise<'check-then-write'> => 'check-then-write';

  private async request(key: string, range?: string): Promise<Response | undefined> {
    const url = `${this.location}/${key.split('/').map(encodeURIComponent).join('/')}`;
    let response: Response;
    try {
      response = await this.fetch(url, { headers: { ...this.headers, ...(range ? { Range: range } : {}) } });
    } catch (cause) {
      throw new ModelBundleError('IO_ERROR', `Fetching ${url} failed: ${(cause as Error).message}. Check the URL and the network.`, {
        cause,
        details: { url },
      });
    }
    if (response.status === 404 || response.status === 416) {
      await response.body?.cancel().catch(() => {});
      return undefined;
    }
    if (response.status !== 200 && response.status !== 206) {
      await response.body?.cancel().catch(() => {});
      throw new ModelBundleError(
        'IO_ERROR',
        `Fetching ${url} answered HTTP ${response.status} ${response.statusText}; expected 200 or 206. Check the URL and the server.`,
        {
          details: { url, status: response.status },
        },
      );
    }
    return response;
  }

  async getBytes(key: string): Promise<Uint8Array | undefined> {
    const response = await this.request(key);
    return response ? new Uint8Array(await response.arrayBuffer()) : undefined;
  }

  async getRange(key: string, start: number, end: number): Promise<{ bytes: Uint8Array; total: number } | undefined> {
    const response = await this.request(key, `bytes=${start}-${end - 1}`);
    if (!response) return undefined;
    if (response.status === 200) {
      // The server ignored Range: keep only what was asked for, and stop the transfer there.
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      const parts: Uint8Array[] = [];
      let received = 0;
      while (received < end) {
        const { done, value } = await reader.read();
        if (done) break;
        parts.push(value);
        received += value.byteLength;
      }
      await reader.cancel().catch(() => {});
      const all = Buffer.concat(parts);
      const total = Number(response.headers.get('Content-Length') ?? all.length);
      return { bytes: new Uint8Array(all.subarray(start, Math.min(end, all.length))), total };
    }
    const bytes = new Uint8Array(await response.arrayBuffer());
    const total = Number(/\/(\d+)$/.exec(response.headers.get('Content-Range') ?? '')?.[1] ?? Number.NaN);
    return { bytes, total: Number.isFinite(total) ? total : start + bytes.length };
  }

  async getStream(key: string) {
    const response = await this.request(key);
    if (!response?.body) return undefined;
    const size = Number(response.headers.get('Content-Length') ?? Number.NaN);
    return { stream: Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>), size };
  }
}
