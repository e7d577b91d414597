import { once } from 'node:events';
import { request } from 'node:http';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { writeBundle } from '@modelbundle/core/node';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { linearBundle } from '../../serve/test/helpers.js';
import { CLI, projectDir, type RunningCli, startProcess } from './helpers.js';

let cwd: string;
const running: RunningCli[] = [];

beforeAll(async () => {
  cwd = await projectDir();
  await writeBundle(join(cwd, 'slow.mbnd'), await linearBundle({ latencyMs: 700 }));
});
afterEach(() => {
  for (const proc of running.splice(0)) if (proc.child.exitCode === null) proc.child.kill('SIGKILL');
});

function serveCli(args: string[], env: Record<string, string> = {}): RunningCli {
  const proc = startProcess(CLI, ['serve', ...args], { cwd, env });
  running.push(proc);
  return proc;
}

describe('modelbundle serve', () => {
  it('serves the bundle, logs requests, and on SIGTERM finishes the request in flight, then exits 0', async () => {
    const proc = serveCli(['slow.mbnd', '--port', '0', '--log-level', 'info']);
    const [, url] = await proc.waitFor(/at (http:\/\/127\.0\.0\.1:\d+)\n.*Docs: .*\n/);
    expect(await (await fetch(`${url}/ping`)).json()).toEqual({ status: 'ok' });

    const inFlight = post(`${url}/predict`, '[{"x1": 1, "x2": 1, "group": "b"}]');
    await new Promise((resolve) => setTimeout(resolve, 200));
    proc.child.kill('SIGTERM');
    const answer = await inFlight;
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ predictions: [{ '.pred': 11.5 }] });
    expect(await proc.exited).toBe(0);
    expect(proc.stdout()).toMatch(/"url":"\/ping".*"statusCode":200|"statusCode":200.*"url":"\/ping"/s);
    expect(proc.stdout()).toContain('shutting down');
  });

  it('logs nothing per request with --log-level silent, and applies --max-rows', async () => {
    const proc = serveCli(['slow.mbnd', '--port', '0', '--log-level', 'silent', '--max-rows', '1']);
    const [, url] = await proc.waitFor(/at (http:\/\/127\.0\.0\.1:\d+)/);
    await fetch(`${url}/ping`);
    const twoRows = await fetch(`${url}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        { x1: 1, x2: 1, group: 'a' },
        { x1: 2, x2: 1, group: 'a' },
      ]),
    });
    expect(twoRows.status).toBe(413);
    proc.child.kill('SIGINT');
    expect(await proc.exited).toBe(0);
    expect(proc.stdout().trim().split('\n')).toHaveLength(2);
  });

  it('takes every option from MODELBUNDLE_* variables (flags win), logs request ids and never the token', async () => {
    const proc = serveCli(['slow.mbnd', '--max-rows', '2'], {
      MODELBUNDLE_PORT: '0',
      MODELBUNDLE_MAX_ROWS: '1',
      MODELBUNDLE_AUTH_TOKEN: 'hunter2-token',
      MODELBUNDLE_CORS_ORIGINS: 'https://app.example',
    });
    const [, url] = await proc.waitFor(/at (http:\/\/127\.0\.0\.1:\d+)/);
    const rows = JSON.stringify([
      { x1: 1, x2: 1, group: 'a' },
      { x1: 2, x2: 1, group: 'a' },
    ]);
    const headers = { 'content-type': 'application/json', authorization: 'Bearer hunter2-token', 'x-request-id': 'req-42' };
    const res = await fetch(`${url}/predict`, { method: 'POST', headers, body: rows });
    expect(res.status).toBe(200);
    expect((await fetch(`${url}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: rows })).status).toBe(401);
    expect((await fetch(`${url}/healthz`, { headers: { origin: 'https://app.example' } })).headers.get('access-control-allow-origin')).toBe(
      'https://app.example',
    );
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
    const lines = proc
      .stdout()
      .split('\n')
      .filter((line) => line.startsWith('{'));
    expect(lines.some((line) => JSON.parse(line).reqId === 'req-42')).toBe(true);
    expect(proc.stdout()).not.toContain('hunter2');
  });

  it('exits 27 (IO_ERROR) when the port is taken', async () => {
    const blocker = createServer().listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const { port } = blocker.address() as AddressInfo;
    try {
      const proc = serveCli(['slow.mbnd', '--port', String(port)]);
      expect(await proc.exited).toBe(27);
      expect(proc.stderr()).toContain(`127.0.0.1:${port}: the port is already in use`);
    } finally {
      blocker.close();
    }
  });

  it('exits 28 (NOT_FOUND) when the bundle is missing', async () => {
    const proc = serveCli(['missing.mbnd', '--port', '0']);
    expect(await proc.exited).toBe(28);
    expect(proc.stderr()).toContain('missing.mbnd');
  });
});

/** A POST on its own connection, so the server's shutdown cannot close a pooled one first. */
function post(url: string, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', connection: 'close' } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
