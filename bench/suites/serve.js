import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeBundle } from '@modelbundle/core/node';
import { modelToBundle } from '@modelbundle/tfjs';
import * as tfl from '@tensorflow/tfjs-layers';
import { startServer, stopServer } from '../lib/child-server.js';
import { pairedRatio, summary } from '../lib/stats.js';

const autocannon = createRequire(import.meta.url)('autocannon');
const serverScript = fileURLToPath(new URL('../children/server.js', import.meta.url));

function load(url, body, seconds) {
  return autocannon({ url: `${url}/predict`, method: 'POST', headers: { 'content-type': 'application/json' }, body, connections: 8, duration: seconds });
}

/**
 * Throughput and latency of POST /predict, @modelbundle/serve against a bare
 * Fastify route around model.predict, each server in its own process,
 * measured one at a time in alternating rounds. Loopback only.
 */
export async function serveSuite({ quick, runs, backend }) {
  const x = tfl.input({ shape: [32], name: 'x' });
  const hidden = tfl.layers.dense({ units: 256, activation: 'relu' }).apply(tfl.layers.dense({ units: 256, activation: 'relu' }).apply(x));
  const model = tfl.model({ inputs: x, outputs: tfl.layers.dense({ units: 4, name: 'y' }).apply(hidden) });
  const dir = await mkdtemp(join(tmpdir(), 'modelbundle-bench-'));
  const path = join(dir, 'serve.mbnd');
  await writeBundle(path, await modelToBundle(model));
  model.dispose();
  const rows = Array.from({ length: 16 }, (_, r) => ({ x: Array.from({ length: 32 }, (_, c) => Math.sin(r * 32 + c)) }));
  const body = JSON.stringify({ instances: rows });
  const seconds = quick ? 1 : 3;
  const servers = {};
  try {
    for (const which of ['ours', 'bare']) servers[which] = await startServer(serverScript, [which, path, backend]);
    const rps = { ours: [], bare: [] };
    const p50 = { ours: [], bare: [] };
    const p99 = { ours: [], bare: [] };
    for (let round = -1; round < runs; round++) {
      for (const which of round % 2 === 0 ? ['ours', 'bare'] : ['bare', 'ours']) {
        const r = await load(servers[which].url, body, seconds);
        if (r.non2xx > 0 || r.errors > 0) throw new Error(`${which}: ${r.non2xx} non-2xx responses, ${r.errors} errors`);
        if (round < 0) continue;
        rps[which].push(r.requests.average);
        p50[which].push(r.latency.p50);
        p99[which].push(r.latency.p99);
      }
    }
    const ratio = pairedRatio(rps.ours, rps.bare);
    return {
      rowsPerRequest: rows.length,
      connections: 8,
      secondsPerRun: seconds,
      runs,
      requestsPerSecond: { ours: summary(rps.ours, 1), bare: summary(rps.bare, 1) },
      latencyP50Ms: { ours: summary(p50.ours, 2), bare: summary(p50.bare, 2) },
      latencyP99Ms: { ours: summary(p99.ours, 2), bare: summary(p99.bare, 2) },
      throughputRatio: ratio,
      target: { target: 0.9, value: ratio.median, met: ratio.median >= 0.9 },
    };
  } finally {
    for (const s of Object.values(servers)) await stopServer(s);
    await rm(dir, { recursive: true, force: true });
  }
}
