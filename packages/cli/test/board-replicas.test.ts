import { createRequire } from 'node:module';
import { type Board, openBoard } from '@modelbundle/boards';
import { type Bundle, encodeBundle, generateKeyPair, signBundle } from '@modelbundle/core';
import { readPrivateKey, writeKeyPair } from '@modelbundle/core/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { objectStore } from '../../boards/test/helpers.js';
import { freePort, type Nginx, startNginx } from '../../boards/test/nginx.js';
import { linearBundle } from '../../serve/test/helpers.js';
import { CLI, projectDir, type RunningCli, startProcess } from './helpers.js';

interface AutocannonResult {
  errors: number;
  timeouts: number;
  non2xx: number;
  requests: { total: number };
}
const autocannon = createRequire(import.meta.url)('autocannon') as (options: Record<string, unknown>) => Promise<AutocannonResult>;

const POLL_SECONDS = 1;
const ROW = JSON.stringify([{ x1: 1, x2: 2, group: 'a' }]);

describe('three serve replicas behind nginx follow @champion', () => {
  let board: Board;
  let location: string;
  let nginx: Nginx;
  let replicas: { proc: RunningCli; url: string }[] = [];
  const versions: string[] = [];
  /** Every version is signed by the publisher; the replicas trust only the publisher's key. */
  let signed: (bundle: Bundle) => Promise<Bundle>;

  beforeAll(async () => {
    const store = await objectStore();
    location = `s3://${await store.bucket('replicas')}/prod`;
    board = openBoard(location, { s3: { endpoint: store.endpoint } });
    const cwd = await projectDir();
    const publisher = await writeKeyPair(cwd, { name: 'publisher' });
    const privateKey = await readPrivateKey(publisher.privateKeyPath);
    signed = (bundle) => signBundle(bundle, privateKey);
    for (const bias of [0.5, 100]) versions.push((await board.write('linear', await signed(await linearBundle({ bias })))).version);
    await board.alias('linear', 'champion', versions[0] as string);
    replicas = await Promise.all(
      [0, 1, 2].map(async () => {
        const port = await freePort();
        const proc = startProcess(
          CLI,
          [
            'serve',
            `${location}/linear@champion`,
            '--port',
            String(port),
            '--poll',
            String(POLL_SECONDS),
            '--log-level',
            'warn',
            '--public-key',
            publisher.publicKeyPath,
          ],
          {
            cwd,
            env: { ...store.env, MODELBUNDLE_CACHE: `${cwd}/cache-${port}` },
          },
        );
        await proc.waitFor(/Serving .* at (http:\/\/\S+)/);
        return { proc, url: `http://127.0.0.1:${port}` };
      }),
    );
    // Retry on the next replica when one refuses or drops a connection, POST included (predictions have no side effects).
    nginx = await startNginx(
      `location / { proxy_pass http://replicas; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_next_upstream error timeout http_502 http_503 non_idempotent; proxy_next_upstream_tries 3; proxy_connect_timeout 2s; }`,
      `upstream replicas { ${replicas.map((r) => `server ${r.url.slice('http://'.length)} max_fails=1 fail_timeout=2s;`).join(' ')} keepalive 16; }`,
    );
  });
  afterAll(async () => {
    await nginx?.stop();
    for (const r of replicas) {
      if (r.proc.child.exitCode === null) {
        r.proc.child.kill('SIGTERM');
        await r.proc.exited;
      }
    }
  });

  const servedVersion = async (url: string) => ((await (await fetch(`${url}/metadata`)).json()) as { board: { version: string } }).board.version;
  const load = (seconds: number) =>
    autocannon({
      url: `${nginx.url}/predict`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: ROW,
      connections: 8,
      duration: seconds,
      timeout: 20,
    });

  it('moving the alias switches every replica within the poll interval, with no failed request', async () => {
    for (const r of replicas) expect(await servedVersion(r.url)).toBe(versions[0]);
    const meta = (await (await fetch(`${replicas[0]?.url}/metadata`)).json()) as { board: Record<string, string> };
    expect(meta.board).toMatchObject({ board: location, name: 'linear', ref: 'champion', headerDigest: expect.stringMatching(/^[0-9a-f]{64}$/) });

    const running = load(6);
    await new Promise((r) => setTimeout(r, 1500));
    await board.alias('linear', 'champion', versions[1] as string);
    const moved = Date.now();
    const switched = await Promise.all(
      replicas.map(async (r) => {
        while ((await servedVersion(r.url)) !== versions[1]) await new Promise((res) => setTimeout(res, 50));
        return Date.now() - moved;
      }),
    );
    const result = await running;
    // Within one poll interval plus the download, verify and restore of a small model (generous on a shared 2-core machine).
    for (const ms of switched) expect(ms).toBeLessThan(POLL_SECONDS * 1000 + 2000);
    expect(result.requests.total).toBeGreaterThan(100);
    expect(result.errors + result.timeouts + result.non2xx).toBe(0);
    const after = (await (await fetch(`${nginx.url}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: ROW })).json()) as {
      predictions: { '.pred': number }[];
    };
    expect(after.predictions[0]?.['.pred']).toBe(2 * 1 - 2 + 100); // bias 100: the new model answers
  });

  it('a tampered version is refused by every replica, which keep serving the old one', async () => {
    const { version } = await board.write('linear', await linearBundle({ bias: -7 }));
    const key = `linear/${version}/model.mbnd`;
    const bytes = encodeBundle(await linearBundle({ bias: -7 }));
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 0xff;
    await board.storage.put?.(key, { bytes });
    await board.alias('linear', 'champion', version);
    await new Promise((r) => setTimeout(r, POLL_SECONDS * 3000));
    for (const r of replicas) {
      expect(await servedVersion(r.url)).toBe(versions[1]);
      expect(r.proc.stdout() + r.proc.stderr()).toMatch(/keeping version/);
    }
    await board.alias('linear', 'champion', versions[1] as string);
  });

  it('a version signed by another key is refused by every replica, which keep serving the old one', async () => {
    const stranger = await generateKeyPair();
    const { version } = await board.write('linear', await signBundle(await linearBundle({ bias: -9 }), stranger.privateKey));
    await board.alias('linear', 'champion', version);
    await new Promise((r) => setTimeout(r, POLL_SECONDS * 3000));
    for (const r of replicas) {
      expect(await servedVersion(r.url)).toBe(versions[1]);
      expect(r.proc.stdout() + r.proc.stderr()).toMatch(/keeping version[^\n]*SIGNATURE_INVALID|keeping version[^\n]*signature/i);
    }
    await board.alias('linear', 'champion', versions[1] as string);
  });

  it('killing one replica under load fails no request', async () => {
    const running = load(5);
    await new Promise((r) => setTimeout(r, 1500));
    replicas[1]?.proc.child.kill('SIGKILL');
    const result = await running;
    expect(result.requests.total).toBeGreaterThan(100);
    expect(result.errors + result.timeouts + result.non2xx).toBe(0);
  });
});
