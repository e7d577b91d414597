import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCodes } from '@modelbundle/core';
import { optionsFromSettings, type RunningServer, type ServeOptions, serve, settingsFromEnv } from '@modelbundle/serve';
import { afterAll, describe, expect, it } from 'vitest';
import { linearBundle, linearRegistry } from './helpers.js';

const servers: RunningServer[] = [];
afterAll(async () => {
  for (const server of servers) await server.close();
});
const start = async (options: Partial<ServeOptions>) => {
  const server = await serve({
    bundle: await linearBundle(),
    registry: linearRegistry(),
    port: 0,
    logLevel: 'silent',
    signals: false,
    ...options,
  } as ServeOptions);
  servers.push(server);
  return server;
};
const row = JSON.stringify([{ x1: 1, x2: 2, group: 'a' }]);

describe('CORS', () => {
  it('answers the preflight and adds the allow-origin header for an allowed origin only', async () => {
    const server = await start({ corsOrigins: ['https://app.example'] });
    const preflight = await fetch(`${server.url}/predict`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    const allowed = await fetch(`${server.url}/predict`, {
      method: 'POST',
      headers: { origin: 'https://app.example', 'content-type': 'application/json' },
      body: row,
    });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example');
    const other = await fetch(`${server.url}/predict`, {
      method: 'POST',
      headers: { origin: 'https://evil.example', 'content-type': 'application/json' },
      body: row,
    });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('bearer tokens', () => {
  it('guards the prediction routes by default, and every route but the probes with scope "all"', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'modelbundle-auth-'));
    await writeFile(join(dir, 'tokens'), '# one per line\nsecret-one\n\nsecret-two\n');
    const fromFile = await optionsFromSettings(settingsFromEnv({ MODELBUNDLE_AUTH_TOKEN_FILE: join(dir, 'tokens') }));
    expect(fromFile.authTokens).toEqual(['secret-one', 'secret-two']);
    const server = await start(fromFile);
    const predict = (token?: string) =>
      fetch(`${server.url}/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: row,
      });
    const none = await predict();
    expect(none.status).toBe(ErrorCodes.UNAUTHORIZED.http);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    const { error } = await none.json();
    expect(error.code).toBe('UNAUTHORIZED');
    const wrong = await predict('secret-three');
    expect(wrong.status).toBe(401);
    expect(JSON.stringify(await wrong.json())).not.toContain('secret');
    expect((await predict('secret-two')).status).toBe(200);
    expect((await fetch(`${server.url}/metadata`)).status).toBe(200);

    const all = await start({ ...(await optionsFromSettings(settingsFromEnv({ MODELBUNDLE_AUTH_TOKEN: 'tok', MODELBUNDLE_AUTH_SCOPE: 'all' }))) });
    expect((await fetch(`${all.url}/metadata`)).status).toBe(401);
    expect((await fetch(`${all.url}/metadata`, { headers: { authorization: 'Bearer tok' } })).status).toBe(200);
    expect((await fetch(`${all.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${all.url}/readyz`)).status).toBe(200);
  });

  it('refuses bad settings with INVALID_ARGUMENT or IO_ERROR naming them', async () => {
    expect(() => settingsFromEnv({ MODELBUNDLE_MAX_ROWS: 'many' })).toThrow(/MODELBUNDLE_MAX_ROWS=many/);
    expect(() => settingsFromEnv({ MODELBUNDLE_AUTH_SCOPE: 'some' })).toThrow(/expected one of predict, all/);
    await expect(optionsFromSettings({ authTokenFile: '/nonexistent/tokens' })).rejects.toMatchObject({ code: 'IO_ERROR' });
    await expect(optionsFromSettings({ tlsKey: 'key.pem' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('TLS', () => {
  it('speaks HTTPS with the key and certificate files given', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'modelbundle-tls-'));
    const [key, cert] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    const server = await start(await optionsFromSettings({ tlsKey: key, tlsCert: cert }));
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const ca = await readFile(cert, 'utf8');
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${server.url}/predict`, { method: 'POST', ca, headers: { 'content-type': 'application/json' } }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end(row);
    });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ predictions: [{ '.pred': 0.5 }] });
  });
});

describe('request ids', () => {
  it('echoes a safe X-Request-Id, and makes one up otherwise', async () => {
    const server = await start({});
    const given = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'abc-123' } });
    expect(given.headers.get('x-request-id')).toBe('abc-123');
    const unsafe = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'a b\u00e9' } });
    expect(unsafe.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});
