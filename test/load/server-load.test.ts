import { type ChildProcess, fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PenguinBundle, penguinBundle } from './support/workflow-bundle.js';

// 64 connections on loopback against one server process. The full run is
// opt-in (LOAD_SECONDS=30); the normal suite runs a shorter one.
const SECONDS = Number(process.env.LOAD_SECONDS ?? 8);
// The warm-up lets the heap, the wasm memory and the sockets reach their working size before the RSS baseline.
const WARMUP_SECONDS = 6;
const CONNECTIONS = 64;

interface AutocannonResult {
  errors: number;
  timeouts: number;
  mismatches: number;
  non2xx: number;
  '2xx': number;
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; max: number };
}
type Autocannon = (options: Record<string, unknown>) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

interface ServerMemory {
  numTensors: number;
  rss: number;
  backend: string;
}

let bundle: PenguinBundle;
let child: ChildProcess;
let base: string;

beforeAll(async () => {
  bundle = await penguinBundle();
  child = fork(fileURLToPath(new URL('./support/server-child.mjs', import.meta.url)), [bundle.path], {
    execArgv: ['--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const { port } = await nextMessage<{ port: number }>();
  base = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  if (child?.connected) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.send('close');
    await exited;
  }
  await bundle?.cleanup();
});

describe(`POST /predict under ${CONNECTIONS} connections for ${SECONDS} s`, () => {
  it('answers every request with the right predictions, keeps its tensor count and its memory', {
    timeout: (SECONDS + WARMUP_SECONDS + 60) * 1000,
  }, async () => {
    const body = JSON.stringify(bundle.rows);
    const expected = await fetch(`${base}/predict?type=prob`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(expected.status).toBe(200);
    const expectedBody = await expected.text();
    expect(JSON.parse(expectedBody).predictions).toHaveLength(bundle.rows.length);

    // autocannon compares every response body with the expected one (a difference counts as a mismatch).
    const load = (duration: number) =>
      autocannon({
        url: `${base}/predict?type=prob`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        expectBody: expectedBody,
        connections: CONNECTIONS,
        duration,
        // Generous: on a busy shared machine the server process can wait seconds for a core.
        timeout: 30,
      });
    const warmup = await load(WARMUP_SECONDS);
    expect(warmup.errors + warmup.non2xx).toBe(0);
    const before = await memory();
    const run = await load(SECONDS);
    const after = await memory();

    const rssGrowth = (after.rss - before.rss) / before.rss;
    console.log(
      `load: ${SECONDS} s, ${CONNECTIONS} connections, ${bundle.rows.length} rows per request, backend ${after.backend}, machine load average ${loadavg()[0]!.toFixed(1)}: ` +
        `${run.requests.total} requests, ${run.requests.average.toFixed(0)} req/s, p50 ${run.latency.p50} ms, p99 ${run.latency.p99} ms, max ${run.latency.max} ms; ` +
        `errors ${run.errors}, timeouts ${run.timeouts}, mismatches ${run.mismatches}, non-2xx ${run.non2xx}; ` +
        `RSS ${mib(before.rss)} -> ${mib(after.rss)} MiB (${(rssGrowth * 100).toFixed(1)}%); numTensors ${before.numTensors} -> ${after.numTensors}`,
    );
    expect(run['2xx']).toBeGreaterThan(0);
    expect(run.requests.total).toBe(run['2xx']);
    expect({ errors: run.errors, timeouts: run.timeouts, mismatches: run.mismatches, non2xx: run.non2xx }).toEqual({
      errors: 0,
      timeouts: 0,
      mismatches: 0,
      non2xx: 0,
    });
    expect(after.numTensors).toBe(before.numTensors);
    expect(rssGrowth).toBeLessThan(0.1);
  });
});

function memory(): Promise<ServerMemory> {
  const answer = nextMessage<ServerMemory>();
  child.send('memory');
  return answer;
}

function nextMessage<T>(): Promise<T> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`the server process exited with code ${code}`));
    child.once('exit', onExit);
    child.once('message', (message) => {
      child.off('exit', onExit);
      resolve(message as T);
    });
  });
}

function mib(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(1);
}
