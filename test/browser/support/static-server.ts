import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One file the server can send. */
export interface ServedFile {
  body: Uint8Array;
  type?: string;
}

/** What the server did for one request, for tests to assert on. */
export interface RequestRecord {
  path: string;
  range: string | undefined;
  status: number;
  /** Body bytes the server meant to send. */
  length: number;
  /** Body bytes handed to the socket before the response ended or the client went away. */
  sent: number;
  /** True once the response ended or the connection closed. */
  settled: boolean;
  /** True when the client closed the connection before the whole body was sent. */
  aborted: boolean;
}

/** A static HTTP server on 127.0.0.1; `close()` stops it. */
export interface StaticServer {
  origin: string;
  files: Map<string, ServedFile>;
  requests: RequestRecord[];
  /** Waits until every request so far has ended or been abandoned by its client. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

/** Paths under this prefix are served as if the server did not support Range (always 200, whole file). */
export const NO_RANGE_PREFIX = '/no-range';

/** Paths under this prefix answer a Range request with at most {@link CAPPED_RANGE_BYTES} bytes, as some hosts do. */
export const CAPPED_PREFIX = '/capped';
export const CAPPED_RANGE_BYTES = 32 * 1024;

/** Paths under this prefix break the connection after the first 64 body bytes. */
export const BROKEN_PREFIX = '/broken';

const CHUNK = 64 * 1024;

/**
 * Serves files from memory with single-range `Range` support (206,
 * `Content-Range`, 416), like a static file host. Under {@link NO_RANGE_PREFIX}
 * it ignores Range, as some servers do; under {@link CAPPED_PREFIX} it sends
 * shorter ranges than asked for; under {@link BROKEN_PREFIX} the connection
 * breaks mid-body. Bodies are written in 64 KiB chunks
 * with backpressure, so a client that cancels stops the transfer.
 */
export async function startStaticServer(files: Record<string, ServedFile> = {}): Promise<StaticServer> {
  const served = new Map(Object.entries(files));
  const requests: RequestRecord[] = [];
  const server = createServer((req, res) => {
    void respond(req, res, served, requests);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    files: served,
    requests,
    async settled() {
      for (let i = 0; i < 200 && requests.some((r) => !r.settled); i++) await new Promise((r) => setTimeout(r, 10));
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function respond(req: IncomingMessage, res: ServerResponse, files: Map<string, ServedFile>, log: RequestRecord[]): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const ignoreRange = url.pathname.startsWith(`${NO_RANGE_PREFIX}/`);
  const capped = url.pathname.startsWith(`${CAPPED_PREFIX}/`);
  const broken = url.pathname.startsWith(`${BROKEN_PREFIX}/`);
  const prefix = [NO_RANGE_PREFIX, CAPPED_PREFIX, BROKEN_PREFIX].find((p) => url.pathname.startsWith(`${p}/`)) ?? '';
  const path = url.pathname.slice(prefix.length);
  const file = files.get(path === '/' ? '/index.html' : path);
  const range = req.headers.range;
  const record: RequestRecord = { path: url.pathname, range, status: 200, length: 0, sent: 0, settled: false, aborted: false };
  log.push(record);
  res.on('close', () => {
    record.aborted = !res.writableFinished;
    record.settled = true;
  });
  res.setHeader('Cache-Control', 'no-store');
  if (!file || req.method !== 'GET') {
    record.status = 404;
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
    return;
  }
  const size = file.body.byteLength;
  let start = 0;
  let end = size;
  const match = ignoreRange || range === undefined ? null : /^bytes=(\d+)-(\d*)$/.exec(range);
  if (match) {
    start = Number(match[1]);
    if (start >= size) {
      record.status = 416;
      res.writeHead(416, { 'Content-Range': `bytes */${size}` }).end();
      return;
    }
    end = Math.min(size, match[2] === '' ? size : Number(match[2]) + 1, capped ? start + CAPPED_RANGE_BYTES : size);
    record.status = 206;
    res.setHeader('Content-Range', `bytes ${start}-${end - 1}/${size}`);
  }
  record.length = end - start;
  if (!ignoreRange) res.setHeader('Accept-Ranges', 'bytes');
  res.writeHead(record.status, { 'Content-Type': file.type ?? 'application/octet-stream', 'Content-Length': String(end - start) });
  if (broken) {
    res.write(file.body.subarray(start, start + 64));
    res.destroy();
    return;
  }
  for (let pos = start; pos < end && !res.destroyed; pos += CHUNK) {
    const chunk = file.body.subarray(pos, Math.min(end, pos + CHUNK));
    record.sent += chunk.byteLength;
    if (!res.write(chunk)) {
      await new Promise<void>((resolve) => {
        res.once('drain', resolve);
        res.once('close', resolve);
      });
    }
  }
  if (!res.destroyed) res.end();
}
