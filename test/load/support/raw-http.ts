import { connect } from 'node:net';

/** What came back on a raw connection. */
export interface RawResponse {
  /** 0 when the server closed the connection without answering. */
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Milliseconds from connecting to the connection's end. */
  ms: number;
}

/**
 * Sends exact bytes to 127.0.0.1:port (a request curl or fetch would refuse
 * to send: bad framing, lying lengths, a body that never ends) and reads
 * until the server closes the connection or `timeoutMs` passes (then it
 * rejects: the server hung). The socket stays open after the bytes are
 * written, so a partial body is a client that never finishes its request.
 */
export function rawRequest(port: number, bytes: string | Uint8Array, timeoutMs: number): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const chunks: Buffer[] = [];
    const socket = connect({ port, host: '127.0.0.1' });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer and no close within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('data', (chunk) => chunks.push(chunk));
    // A server that answers early (413) may reset the connection while the body is still being written.
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ ...parseResponse(Buffer.concat(chunks)), ms: performance.now() - started });
    });
    socket.write(bytes);
  });
}

/** A request with the given method, path, headers and body (Content-Length set from the body unless given). */
export function httpBytes(method: string, path: string, headers: Record<string, string | number>, body: string | Uint8Array = ''): Buffer {
  const payload = typeof body === 'string' ? Buffer.from(body) : Buffer.from(body);
  const all: Record<string, string | number> = { host: '127.0.0.1', connection: 'close', ...headers };
  if (
    !Object.keys(all).some((k) => k.toLowerCase() === 'content-length' || k.toLowerCase() === 'transfer-encoding') &&
    (payload.length > 0 || method === 'POST')
  ) {
    all['content-length'] = payload.length;
  }
  const head = `${method} ${path} HTTP/1.1\r\n${Object.entries(all)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), payload]);
}

function parseResponse(bytes: Buffer): Omit<RawResponse, 'ms'> {
  const end = bytes.indexOf('\r\n\r\n');
  if (end < 0) return { status: 0, headers: {}, body: bytes.toString('utf8') };
  const [statusLine = '', ...lines] = bytes.subarray(0, end).toString('latin1').split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = bytes.subarray(end + 4);
  const length = Number(headers['content-length']);
  if (Number.isInteger(length)) body = body.subarray(0, length);
  return { status: Number(statusLine.split(' ')[1] ?? 0), headers, body: body.toString('utf8') };
}
