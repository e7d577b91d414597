import { createServer } from 'node:net';
import { inspect, inspectUrl } from '@modelbundle/core';
import { PREFIX_BYTES } from '@modelbundle/core/format';
import { expectCode } from '@modelbundle/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encoded, pattern } from '../../packages/core/test/helpers.js';
import { BROKEN_PREFIX, CAPPED_PREFIX, CAPPED_RANGE_BYTES, NO_RANGE_PREFIX, type StaticServer, startStaticServer } from './support/static-server.js';

// Header-only inspection of bundles over real HTTP on 127.0.0.1, against a
// server that honours Range and one that ignores it.

let server: StaticServer;
let small: Uint8Array;
let large: Uint8Array;
let bigHeader: Uint8Array;

function headerEnd(bytes: Uint8Array): number {
  return PREFIX_BYTES + Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(16, true));
}

function since(count: number) {
  return server.requests.slice(count);
}

beforeAll(async () => {
  small = await encoded([['weights', pattern(1000)]], { metadata: { name: 'small' } });
  large = await encoded([['weights', new Uint8Array(32 * 1024 * 1024)]], { metadata: { name: 'large' } });
  bigHeader = await encoded([['weights', pattern(64)]], { metadata: { notes: 'x'.repeat(100_000) } });
  const flipped = small.slice();
  flipped[PREFIX_BYTES + 5] = (flipped[PREFIX_BYTES + 5] as number) ^ 0x01;
  server = await startStaticServer({
    '/small.mbnd': { body: small },
    '/large.mbnd': { body: large },
    '/big-header.mbnd': { body: bigHeader },
    '/truncated.mbnd': { body: large.subarray(0, 1_000_000) },
    '/header-flipped.mbnd': { body: flipped },
    '/empty.mbnd': { body: new Uint8Array(0) },
    '/page.html': { body: new TextEncoder().encode('<!doctype html><title>not a bundle</title>'.padEnd(400, ' ')), type: 'text/html' },
  });
});

afterAll(async () => {
  await server?.close();
});

describe('inspectUrl with a server that honours Range', () => {
  it('reads the header of a 32 MiB bundle with one request for the first chunk', async () => {
    const before = server.requests.length;
    const info = await inspectUrl(`${server.origin}/large.mbnd`);
    expect(info.header).toEqual((await inspect(large)).header);
    expect(info.fileLength).toBe(large.byteLength);
    expect(info).toMatchObject({ rangeSupported: true, requests: 1, signed: false });
    // Reading stops once the header is complete, within the one 64 KiB range.
    expect(info.bytesRead).toBeGreaterThanOrEqual(headerEnd(large));
    expect(info.bytesRead).toBeLessThanOrEqual(64 * 1024);
    expect(since(before)).toMatchObject([{ range: 'bytes=0-65535', status: 206, length: 65536 }]);
  });

  it('asks for exactly the prefix, then exactly the header, when the first chunk is 128 bytes', async () => {
    const before = server.requests.length;
    const info = await inspectUrl(`${server.origin}/large.mbnd`, { firstChunk: 128 });
    const end = headerEnd(large);
    expect(info).toMatchObject({ rangeSupported: true, requests: 2, bytesRead: end });
    expect(since(before).map((r) => [r.range, r.status])).toEqual([
      ['bytes=0-127', 206],
      [`bytes=128-${end - 1}`, 206],
    ]);
  });

  it('makes a second request when the header is larger than the first chunk', async () => {
    const info = await inspectUrl(new URL(`${server.origin}/big-header.mbnd`));
    expect(info.headerLength).toBeGreaterThan(64 * 1024);
    expect(info.header.metadata).toEqual({ notes: 'x'.repeat(100_000) });
    expect(info).toMatchObject({ requests: 2, bytesRead: headerEnd(bigHeader), rangeSupported: true });
  });

  it('keeps asking while a server answers shorter ranges than requested', async () => {
    const before = server.requests.length;
    const info = await inspectUrl(`${server.origin}${CAPPED_PREFIX}/big-header.mbnd`);
    const end = headerEnd(bigHeader);
    expect(info.header).toEqual((await inspect(bigHeader)).header);
    expect(info).toMatchObject({ rangeSupported: true, requests: Math.ceil(end / CAPPED_RANGE_BYTES), bytesRead: end });
    expect(since(before).map((r) => r.range)).toEqual([
      'bytes=0-65535',
      ...Array.from({ length: info.requests - 1 }, (_, i) => `bytes=${(i + 1) * CAPPED_RANGE_BYTES}-${end - 1}`),
    ]);
  });

  it('reads a bundle smaller than the first chunk in one request', async () => {
    const info = await inspectUrl(`${server.origin}/small.mbnd`);
    expect(info).toMatchObject({ requests: 1, bytesRead: small.byteLength, fileLength: small.byteLength });
    expect(info.header.metadata).toEqual({ name: 'small' });
  });

  it('refuses a truncated file from the size in Content-Range, before reading its header', async () => {
    const error = await expectCode(inspectUrl(`${server.origin}/truncated.mbnd`), 'TRUNCATED');
    expect(error.message).toContain('/truncated.mbnd');
    expect(error.details).toMatchObject({ region: 'file', expected: large.byteLength, found: 1_000_000 });
  });

  it('refuses a damaged header with CORRUPT', async () => {
    const error = await expectCode(inspectUrl(`${server.origin}/header-flipped.mbnd`), 'CORRUPT');
    expect(error.details).toMatchObject({ region: 'header' });
  });

  it('refuses an empty file (416) and a web page as NOT_A_BUNDLE', async () => {
    await expectCode(inspectUrl(`${server.origin}/empty.mbnd`), 'NOT_A_BUNDLE');
    const page = await expectCode(inspectUrl(`${server.origin}/page.html`), 'NOT_A_BUNDLE');
    expect(page.message).toContain(`${server.origin}/page.html`);
  });

  it('reports HTTP errors and unreachable servers as IO_ERROR', async () => {
    const missing = await expectCode(inspectUrl(`${server.origin}/missing.mbnd`), 'IO_ERROR');
    expect(missing.message).toContain('HTTP 404');
    expect(missing.details).toMatchObject({ status: 404 });
    const closedPort = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as { port: number };
        probe.close(() => resolve(port));
      });
    });
    await expectCode(inspectUrl(`http://127.0.0.1:${closedPort}/x.mbnd`), 'IO_ERROR');
    const broken = await expectCode(inspectUrl(`${server.origin}${BROKEN_PREFIX}/large.mbnd`), 'IO_ERROR');
    expect(broken.details).toMatchObject({ url: `${server.origin}${BROKEN_PREFIX}/large.mbnd` });
  });
});

describe('inspectUrl with a server that ignores Range', () => {
  it('reads only the header from the 200 stream and cancels the rest of a 32 MiB download', async () => {
    const before = server.requests.length;
    const info = await inspectUrl(`${server.origin}${NO_RANGE_PREFIX}/large.mbnd`);
    expect(info.header).toEqual((await inspect(large)).header);
    expect(info.rangeSupported).toBe(false);
    expect(info.requests).toBe(1);
    expect(info.bytesRead).toBeGreaterThanOrEqual(headerEnd(large));
    expect(info.bytesRead).toBeLessThan(1024 * 1024);
    await server.settled();
    const [request] = since(before);
    expect(request).toMatchObject({ range: 'bytes=0-65535', status: 200, length: large.byteLength, aborted: true });
    expect(request?.sent).toBeLessThan(large.byteLength);
  });

  it('reads a large header from the same stream, without a second request', async () => {
    const info = await inspectUrl(`${server.origin}${NO_RANGE_PREFIX}/big-header.mbnd`, { firstChunk: 128 });
    expect(info).toMatchObject({ rangeSupported: false, requests: 1 });
    expect(info.header.metadata).toEqual({ notes: 'x'.repeat(100_000) });
  });

  it('refuses a truncated file from its Content-Length', async () => {
    const error = await expectCode(inspectUrl(`${server.origin}${NO_RANGE_PREFIX}/truncated.mbnd`), 'TRUNCATED');
    expect(error.details).toMatchObject({ expected: large.byteLength, found: 1_000_000 });
  });
});
