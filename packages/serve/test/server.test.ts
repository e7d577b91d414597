import { request as httpRequest } from 'node:http';
import { encodeBundle, generateKeyPair, signBundle } from '@modelbundle/core';
import { createServer, type RunningServer, serve } from '@modelbundle/serve';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linearBundle, linearBundleFile, linearRegistry } from './helpers.js';

let server: RunningServer;
const url = (path: string) => `${server.url}${path}`;
const postJson = (path: string, body: unknown) =>
  fetch(url(path), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

beforeAll(async () => {
  server = await serve({ path: await linearBundleFile(), registry: linearRegistry(), port: 0, logLevel: 'silent', bodyLimit: 4096, signals: false });
});
afterAll(() => server.close());

describe('endpoints', () => {
  it('predicts a JSON array of rows', async () => {
    const res = await postJson('/predict', [
      { x1: 1, x2: 2, group: 'a' },
      { x1: 3, x2: 0, group: 'b' },
    ]);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ predictions: [{ '.pred': 0.5 }, { '.pred': 16.5 }] });
  });

  it('predicts { instances } and honours the type from the query and from the body', async () => {
    const fromQuery = await postJson('/predict?type=prob', { instances: [{ x1: 0, x2: 0.5, group: 'a' }] });
    expect(fromQuery.status).toBe(200);
    expect(await fromQuery.json()).toEqual({ predictions: [{ '.pred_yes': 0.5, '.pred_no': 0.5 }] });
    const fromBody = await postJson('/predict', { instances: [{ x1: 0, x2: 0.5, group: 'a' }], type: 'prob' });
    expect(await fromBody.json()).toEqual({ predictions: [{ '.pred_yes': 0.5, '.pred_no': 0.5 }] });
  });

  it('answers /ping, /metadata and /prototype', async () => {
    expect(await (await fetch(url('/ping'))).json()).toEqual({ status: 'ok' });
    const metadata = await (await fetch(url('/metadata'))).json();
    expect(metadata).toMatchObject({
      kind: 'example.linear',
      format: '1.0.0',
      serializer: { version: '1.0.0', package: 'modelbundle-example-linear' },
      created: '2026-01-01T00:00:00.000Z',
      requires: { 'modelbundle-example-linear': '^1.0.0' },
      metadata: { name: 'linear-demo' },
      summary: { parameters: 5 },
      types: ['numeric', 'prob'],
    });
    const prototype = await (await fetch(url('/prototype'))).json();
    expect(prototype.ptype).toEqual({
      columns: [
        { name: 'x1', type: 'number' },
        { name: 'x2', type: 'number' },
        { name: 'group', type: 'string', levels: ['a', 'b'] },
      ],
    });
    expect(prototype.schema.properties.group).toEqual({ type: 'string', enum: ['a', 'b'] });
    expect(prototype.example).toEqual({ x1: 0, x2: 0, group: 'a' });
  });

  it('generates /openapi.json from the ptype, whose example predicts', async () => {
    const res = await fetch(url('/openapi.json'));
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    const api = await res.json();
    expect(api.openapi).toBe('3.1.0');
    expect(api.info.title).toBe('linear-demo');
    expect(api.components.schemas.Row).toEqual({
      type: 'object',
      properties: { x1: { type: 'number' }, x2: { type: 'number' }, group: { type: 'string', enum: ['a', 'b'] } },
      required: ['x1', 'x2', 'group'],
      additionalProperties: false,
    });
    expect(api.paths['/predict'].post.parameters[0].schema.enum).toEqual(['numeric', 'prob']);
    const example = api.paths['/predict'].post.requestBody.content['application/json'].example;
    expect((await postJson('/predict', example)).status).toBe(200);
  });

  it('serves a self-contained docs page at / and /docs', async () => {
    for (const path of ['/', '/docs']) {
      const res = await fetch(url(path));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/text\/html/);
      expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
      const html = await res.text();
      expect(html).toContain('<title>linear-demo');
      expect(html).not.toMatch(/(src|href)="https?:/);
    }
  });
});

describe('bad input never gives a 500', () => {
  const errorOf = async (res: Response) => ((await res.json()) as { error: { code: string; message: string } }).error;

  it('missing, unknown and mistyped columns: 400 naming each, before the model sees the rows', async () => {
    const res = await postJson('/predict', [{ x1: 1, group: 'a', colour: 'red' }]);
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toContain('row 0, column "x2" is missing');
    expect(error.message).toContain('row 0, column "colour" is not a column of this model');
    const mistyped = await postJson('/predict', [{ x1: 'one', x2: 2, group: 'a' }]);
    expect(mistyped.status).toBe(400);
    expect((await errorOf(mistyped)).message).toContain('row 0, column "x1" is the string "one"; expected a number');
  });

  it('bodies that are not rows: 400', async () => {
    for (const body of [{ rows: [] }, [], [1, 2], 'text', null]) {
      const res = await postJson('/predict', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect((await errorOf(res)).code).toBe('INVALID_INPUT');
    }
  });

  it('an unsupported prediction type: 400 naming the supported ones', async () => {
    const res = await postJson('/predict?type=class', [{ x1: 1, x2: 2, group: 'a' }]);
    expect(res.status).toBe(400);
    expect((await errorOf(res)).message).toContain('expected one of: numeric, prob');
  });

  it('malformed JSON: 400', async () => {
    const res = await fetch(url('/predict'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[{"x1": 1,' });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).code).toBe('INVALID_INPUT');
    const empty = await fetch(url('/predict'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '' });
    expect(empty.status).toBe(400);
  });

  it('an oversized body: 413', async () => {
    const rows = Array.from({ length: 200 }, () => ({ x1: 1, x2: 2, group: 'a' }));
    const res = await postJson('/predict', rows);
    expect(res.status).toBe(413);
    const error = await errorOf(res);
    expect(error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(error.message).toContain('4096 bytes');
  });

  it('a wrong content type: 415', async () => {
    const res = await fetch(url('/predict'), { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x1=1' });
    expect(res.status).toBe(415);
    const error = await errorOf(res);
    expect(error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(error.message).toContain('The content type "text/plain" is not supported');
  });

  it('an unknown route: 404 NOT_FOUND listing the endpoints; a wrong method: 405 with Allow', async () => {
    const res = await fetch(url('/nope'));
    expect(res.status).toBe(404);
    const error = await errorOf(res);
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toContain('POST /predict');
    for (const [method, path, allow] of [
      ['GET', '/predict', 'POST'],
      ['OPTIONS', '/predict', 'POST'],
      ['PUT', '/invocations', 'POST'],
      ['POST', '/healthz', 'GET, HEAD'],
    ]) {
      const wrong = await fetch(url(path as string), { method });
      expect(wrong.status, `${method} ${path}`).toBe(405);
      expect(wrong.headers.get('allow')).toBe(allow);
      expect((await errorOf(wrong)).code).toBe('METHOD_NOT_ALLOWED');
    }
  });
});

describe('loading', () => {
  it('serves an in-memory bundle and its encoded bytes alike', async () => {
    const bundle = await linearBundle({ bias: 1 });
    const app = await createServer({ bundle, registry: linearRegistry(), logLevel: 'silent' });
    const res = await app.inject({ method: 'POST', url: '/predict', payload: [{ x1: 0, x2: 0, group: 'a' }] });
    expect(res.json()).toEqual({ predictions: [{ '.pred': 1 }] });
    await app.close();
  });

  it('refuses a bundle whose kind is unknown, with UNKNOWN_KIND', async () => {
    const path = await linearBundleFile();
    const { createRegistry } = await import('@modelbundle/core');
    await expect(createServer({ path, registry: createRegistry({ autoload: false }), logLevel: 'silent' })).rejects.toMatchObject({ code: 'UNKNOWN_KIND' });
  });
});

describe('graceful shutdown', () => {
  it('lets a request in flight finish, then refuses new connections', async () => {
    const slow = await serve({ path: await linearBundleFile({ latencyMs: 400 }), registry: linearRegistry(), port: 0, logLevel: 'silent', signals: false });
    const inFlight = rawPost(`${slow.url}/predict`, JSON.stringify([{ x1: 1, x2: 1, group: 'a' }]));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closed = slow.close();
    const answer = await inFlight;
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ predictions: [{ '.pred': 1.5 }] });
    await closed;
    await expect(fetch(`${slow.url}/ping`)).rejects.toThrow();
  });
});

/** A POST on its own connection (fetch's pool would reuse one that shutdown closes). */
function rawPost(target: string, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(target, { method: 'POST', headers: { 'content-type': 'application/json', connection: 'close' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('listening', () => {
  it('reports a port in use as IO_ERROR naming the port', async () => {
    const port = Number(new URL(server.url).port);
    await expect(serve({ path: await linearBundleFile(), registry: linearRegistry(), port, logLevel: 'silent', signals: false })).rejects.toMatchObject({
      code: 'IO_ERROR',
      message: expect.stringContaining(`127.0.0.1:${port}: the port is already in use`),
    });
  });
});

describe('trusted keys', () => {
  it('serves a bundle signed by a trusted key and refuses an unsigned or untrusted one before listening', async () => {
    const { publicKey, privateKey } = await generateKeyPair();
    const other = await generateKeyPair();
    const signed = await signBundle(await linearBundle(), privateKey);
    const app = await createServer({ bundle: encodeBundle(signed), registry: linearRegistry(), trustedKeys: [publicKey], logLevel: 'silent' });
    const res = await app.inject({ method: 'POST', url: '/predict', payload: [{ x1: 1, x2: 2, group: 'a' }] });
    expect(res.json()).toEqual({ predictions: [{ '.pred': 0.5 }] });
    await app.close();
    for (const [bundle, reason] of [
      [signed, 'untrusted'],
      [await linearBundle(), 'unsigned'],
    ] as const) {
      await expect(createServer({ bundle, registry: linearRegistry(), trustedKeys: [other.publicKey], logLevel: 'silent' })).rejects.toMatchObject({
        code: 'SIGNATURE_INVALID',
        details: { reason },
      });
    }
  });
});
