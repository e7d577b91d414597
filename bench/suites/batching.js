import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRegistry } from '@modelbundle/core';
import { writeBundle } from '@modelbundle/core/node';
import { tfjsPlugin } from '@modelbundle/tfjs';
import { workflowsPlugin } from '@modelbundle/workflows';
import { fitDemo, loadPenguins } from '@modelbundle/workflows/demo';
import * as tfl from '@tensorflow/tfjs-layers';
import { startServer, stopServer } from '../lib/child-server.js';
import { pairedRatio, summary } from '../lib/stats.js';

const autocannon = createRequire(import.meta.url)('autocannon');
const serverScript = fileURLToPath(new URL('../children/batch-server.js', import.meta.url));
const CONNECTIONS = 64;

function load(url, body, seconds) {
  return autocannon({
    url: `${url}/predict`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections: CONNECTIONS,
    duration: seconds,
  });
}

/** The two models: the demo workflow and a tfjs dense model, each with one realistic single-row request. */
async function models(dir) {
  const registry = createRegistry({ autoload: false }).registerPlugin(tfjsPlugin).registerPlugin(workflowsPlugin);
  const workflowPath = join(dir, 'workflow.mbnd');
  await writeBundle(workflowPath, await registry.bundle(await fitDemo({ epochs: 1 })));
  const { Species: _, ...penguin } = (await loadPenguins())[0];
  const x = tfl.input({ shape: [32], name: 'x' });
  const hidden = tfl.layers.dense({ units: 256, activation: 'relu' }).apply(tfl.layers.dense({ units: 256, activation: 'relu' }).apply(x));
  const model = tfl.model({ inputs: x, outputs: tfl.layers.dense({ units: 4, name: 'y' }).apply(hidden) });
  const tfjsPath = join(dir, 'tfjs.mbnd');
  await writeBundle(tfjsPath, await registry.bundle(model));
  model.dispose();
  return [
    { name: 'workflow', path: workflowPath, body: JSON.stringify([penguin]) },
    { name: 'tfjs', path: tfjsPath, body: JSON.stringify([Array.from({ length: 32 }, (_, i) => Math.sin(i))]) },
  ];
}

/**
 * Adaptive batching under load: single-row POST /predict at 64 connections,
 * on the demo workflow and on a tfjs model, for @modelbundle/serve with
 * batching, the same server without it, and a Fastify route that returns a
 * constant (the HTTP floor), each in its own process, measured one at a
 * time in rotating order within each round (paired ratios, medians).
 * Targets: batched >= 2x unbatched and >= 0.5x the floor in throughput,
 * batched p99 <= 1.2x unbatched p99.
 */
export async function batchingSuite({ quick, runs, backend }) {
  const dir = await mkdtemp(join(tmpdir(), 'modelbundle-bench-batch-'));
  const seconds = quick ? 1 : 3;
  const results = {};
  try {
    for (const { name, path, body } of await models(dir)) {
      const servers = {};
      const kinds = ['batched', 'unbatched', 'constant'];
      try {
        for (const which of kinds) servers[which] = await startServer(serverScript, [which, path, backend]);
        const rps = Object.fromEntries(kinds.map((k) => [k, []]));
        const p99 = Object.fromEntries(kinds.map((k) => [k, []]));
        for (let round = -1; round < runs; round++) {
          const order = kinds.map((_, i) => kinds[(i + Math.max(round, 0)) % kinds.length]);
          for (const which of order) {
            const r = await load(servers[which].url, body, seconds);
            if (r.non2xx > 0 || r.errors > 0) throw new Error(`${name} ${which}: ${r.non2xx} non-2xx responses, ${r.errors} errors`);
            if (round < 0) continue;
            rps[which].push(r.requests.average);
            p99[which].push(r.latency.p99);
          }
        }
        const vsUnbatched = pairedRatio(rps.batched, rps.unbatched);
        const vsFloor = pairedRatio(rps.batched, rps.constant);
        const p99Ratio = pairedRatio(p99.batched, p99.unbatched);
        results[name] = {
          requestsPerSecond: Object.fromEntries(kinds.map((k) => [k, summary(rps[k], 1)])),
          latencyP99Ms: Object.fromEntries(kinds.map((k) => [k, summary(p99[k], 2)])),
          throughputVsUnbatched: vsUnbatched,
          throughputVsFloor: vsFloor,
          p99VsUnbatched: p99Ratio,
          targets: {
            vsUnbatched: { target: 2, value: vsUnbatched.median, met: vsUnbatched.median >= 2 },
            vsFloor: { target: 0.5, value: vsFloor.median, met: vsFloor.median >= 0.5 },
            p99: { target: 1.2, value: p99Ratio.median, met: p99Ratio.median <= 1.2 },
          },
        };
      } finally {
        for (const s of Object.values(servers)) await stopServer(s);
      }
    }
    return { connections: CONNECTIONS, rowsPerRequest: 1, secondsPerRun: seconds, runs, backend, ...results };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
