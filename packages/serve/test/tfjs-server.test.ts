import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Bundle, createRegistry } from '@modelbundle/core';
import { WHOLE_FILE_BYTES, writeBundle } from '@modelbundle/core/node';
import { Batcher, type RunningServer, type ServeOptions, serve } from '@modelbundle/serve';
import { ensureBackend, tfjsPlugin, tfjsPredictor } from '@modelbundle/tfjs';
import { workflowsPlugin } from '@modelbundle/workflows';
import { fitDemo, loadPenguins } from '@modelbundle/workflows/demo';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { denseModel, imageModel, tfjsRegistry, twoInputModel } from './tfjs-models.js';

const servers: RunningServer[] = [];
const start = async (bundle: Bundle, options: Partial<ServeOptions> = {}) => {
  const server = await serve({ bundle, registry: tfjsRegistry(), port: 0, logLevel: 'silent', signals: false, ...options } as ServeOptions);
  servers.push(server);
  return server;
};
const post = (server: RunningServer, path: string, body: unknown, type = 'application/json') =>
  fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': type }, body: typeof body === 'string' ? body : JSON.stringify(body) });

beforeAll(() => ensureBackend());
afterAll(async () => {
  for (const server of servers) await server.close();
});

describe('tensor-input models', () => {
  it('answers array rows, flat rows, objects, instances, columnar inputs and CSV for a rank-3 input, as the predictor does', async () => {
    const model = imageModel();
    const server = await start(await tfjsRegistry().bundle(model));
    const nested = Array.from({ length: 4 }, (_, i) => Array.from({ length: 4 }, (_, j) => [(i * 4 + j) / 16]));
    const flat = nested.flat(2);
    const expected = await tfjsPredictor(model).predict([nested]);
    for (const [name, body, type] of [
      ['an array row', [nested]],
      ['a flat array row', [flat]],
      ['an object row', [{ [model.inputs[0]!.name]: nested }]],
      ['instances', { instances: [nested] }],
      ['inputs', { inputs: [flat] }],
      ['CSV', `${flat.map((_, i) => `p${i}`).join(',')}\n${flat.join(',')}\n`, 'text/csv'],
    ] as [string, unknown, string?][]) {
      const res = await post(server, '/predict', body, type);
      expect(res.status, name).toBe(200);
      expect(await res.json(), name).toEqual({ predictions: expected });
    }
    const wrong = await post(server, '/predict', [[1, 2, 3]]);
    expect(wrong.status).toBe(400);
    expect((await wrong.json()).error.message).toContain('has shape [3]; expected [4, 4, 1] or a flat list of 16 numbers');
    const prototype = await (await fetch(`${server.url}/prototype`)).json();
    expect(prototype.ptype.inputs[0].shape).toEqual([null, 4, 4, 1]);
    expect(prototype.example[model.inputs[0]!.name]).toHaveLength(4);
    const api = await (await fetch(`${server.url}/openapi.json`)).json();
    expect(api.components.schemas.AnyRow.oneOf).toHaveLength(3);
  });

  it('answers a two-input model keyed by input name, and refuses an array row for it', async () => {
    const model = twoInputModel();
    const server = await start(await tfjsRegistry().bundle(model));
    const row = {
      a: [1, 2, 3],
      b: [
        [0.5, -1],
        [2, 0],
      ],
    };
    const expected = await tfjsPredictor(model).predict([row]);
    const res = await post(server, '/invocations', { inputs: { a: [row.a], b: [row.b] } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ predictions: expected });
    const example = (await (await fetch(`${server.url}/openapi.json`)).json()).paths['/predict'].post.requestBody.content['application/json'].example;
    expect((await post(server, '/predict', example)).status).toBe(200);
    const array = await post(server, '/predict', [[1, 2, 3]]);
    expect(array.status).toBe(400);
    expect((await array.json()).error.message).toContain('expected an object keyed by input name (2 inputs)');
  });
});

describe('a model from a large file', () => {
  it('serves a file over WHOLE_FILE_BYTES (read section by section) and frees the model on close', async () => {
    // An 18 MiB kernel: the file is over WHOLE_FILE_BYTES, so it is restored with the serializer's unbundleStreamed.
    const model = tfl.sequential({ layers: [tfl.layers.dense({ units: 4608, inputShape: [1024], activation: 'relu' }), tfl.layers.dense({ units: 2 })] });
    const dir = await mkdtemp(join(tmpdir(), 'mb-serve-large-'));
    try {
      const path = join(dir, 'large.mbnd');
      await writeBundle(path, await tfjsRegistry().bundle(model));
      expect((await stat(path)).size).toBeGreaterThan(WHOLE_FILE_BYTES);
      const row = Array.from({ length: 1024 }, (_, i) => Math.sin(i) / 4);
      const expected = await tfjsPredictor(model).predict([row]);
      const before = tf.memory().numTensors;
      const server = await serve({ path, registry: tfjsRegistry(), port: 0, logLevel: 'silent', signals: false });
      expect(tf.memory().numTensors).toBe(before + model.weights.length);
      const res = await post(server, '/predict', [row]);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ predictions: expected });
      await server.close();
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      model.dispose();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('adaptive batching', () => {
  it('joins concurrent requests into fewer model calls, with results bitwise identical to unbatched ones', async () => {
    const bundle = await tfjsRegistry().bundle(denseModel());
    const batched = await start(bundle, { batch: { maxRows: 64, maxWaitMs: 5 } });
    const alone = await start(bundle, { batch: false });
    const rows = Array.from({ length: 48 }, (_, r) => Array.from({ length: 8 }, (_, i) => Math.cos(r * 8 + i) * 3));
    const send = (server: RunningServer) => Promise.all(rows.map(async (row) => (await post(server, '/predict', [row])).text()));
    const [together, apart] = [await send(batched), await send(alone)];
    // JSON text equality is bitwise equality of the float32 values (JSON round-trips doubles exactly).
    expect(together).toEqual(apart);
    const metrics = await (await fetch(`${batched.url}/metrics`)).text();
    const calls = Number(/^modelbundle_batch_requests_count (\d+)$/m.exec(metrics)?.[1]);
    const requests = Number(/^modelbundle_batch_requests_sum (\d+)$/m.exec(metrics)?.[1]);
    expect(requests).toBe(48);
    expect(calls).toBeLessThan(48);
  });

  it('gives the demo workflow the same bits batched as unbatched', async () => {
    const registry = createRegistry({ autoload: false }).registerPlugin(tfjsPlugin).registerPlugin(workflowsPlugin);
    const bundle = await registry.bundle(await fitDemo({ epochs: 1 }));
    const penguins = (await loadPenguins()).slice(0, 40).map(({ Species: _, ...row }) => row);
    const batched = await start(bundle, { registry, batch: { maxRows: 512, maxWaitMs: 5 } });
    const alone = await start(bundle, { registry, batch: false });
    const send = (server: RunningServer) => Promise.all(penguins.map(async (row) => (await post(server, '/predict?type=prob', [row])).text()));
    expect(await send(batched)).toEqual(await send(alone));
  });

  it('never fails a request because another one in its batch was bad', async () => {
    const predictor = tfjsPredictor(denseModel());
    let calls = 0;
    const batcher = new Batcher(
      (rows, type) => {
        calls++;
        return predictor.predict(rows, type === undefined ? {} : { type });
      },
      { maxRows: 100, maxWaitMs: 5 },
    );
    const good = [Array.from({ length: 8 }, (_, i) => i / 8)];
    const results = await Promise.allSettled([
      batcher.submit(good, undefined),
      batcher.submit([['not', 'numbers']], undefined),
      batcher.submit(good, undefined),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'INVALID_INPUT' });
    const alone = await predictor.predict(good);
    expect((results[0] as PromiseFulfilledResult<unknown>).value).toEqual(alone);
    expect((results[2] as PromiseFulfilledResult<unknown>).value).toEqual(alone);
    // One joined call that failed, then each request alone.
    expect(calls).toBe(4);
  });
});
