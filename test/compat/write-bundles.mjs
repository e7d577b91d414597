#!/usr/bin/env node
/**
 * Writes the compatibility bundles of this release's format version into
 * test/compat/<format version>/. A bundle already there is never rewritten
 * (only missing ones are written). They are committed and never
 * changed: test/compat/compat.test.ts reads the bundles of every released
 * version, forever (docs/FORMAT.md, "Compatibility policy").
 *
 *   pnpm build && node test/compat/write-bundles.mjs
 *
 * Each bundle has a JSON beside it with what any later release must get
 * from it: its kind and, for models, input rows and the predictions made
 * when it was written.
 */
import { createPrivateKey } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBundle, createRegistry, encodeBundle, signBundle } from '@modelbundle/core';
import { FORMAT_VERSION } from '@modelbundle/core/format';
import { ensureBackend, tfjsPlugin } from '@modelbundle/tfjs';
import { fit as fitWorkflow, sequentialSpec, workflowsPlugin } from '@modelbundle/workflows';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { fitLinearRegression, fitLogisticRegression, linearPlugin } from 'modelbundle-plugin-linear';

const dir = join(dirname(fileURLToPath(import.meta.url)), FORMAT_VERSION);
mkdirSync(dir, { recursive: true });
await ensureBackend();

const created = '2026-01-01T00:00:00.000Z';
const registry = createRegistry({ autoload: false }).registerPlugin(tfjsPlugin).registerPlugin(linearPlugin).registerPlugin(workflowsPlugin);
const values = (n, seed) => Array.from({ length: n }, (_, i) => Math.sin((i + 1) * 12.9898 * seed) * 0.5);

/** Gives a model fixed weights, so its predictions are known exactly. */
function fixWeights(model, seed) {
  model.setWeights(model.getWeights().map((w, i) => tf.tensor(values(w.size, seed + i), w.shape)));
  return model;
}

/** Writes `<name>.mbnd` and its JSON from `make()`, unless the bundle is already committed. */
async function write(name, make) {
  if (existsSync(join(dir, `${name}.mbnd`))) {
    console.log(`kept ${name}.mbnd`);
    return;
  }
  const [bundle, expected] = await make();
  writeFileSync(join(dir, `${name}.mbnd`), encodeBundle(bundle));
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify({ kind: bundle.header.kind, ...expected }, null, 2)}\n`);
  console.log(`wrote ${name}.mbnd`);
}

// The worked example of docs/FORMAT.md: an envelope with no serializer behind it.
const f32 = (a) => new Uint8Array(new Float32Array(a).buffer);
await write('envelope-example', async () => [
  await createBundle(
    {
      kind: 'example.linear',
      serializer: { version: '1.0.0' },
      producer: { name: '@modelbundle/core', version: '0.1.0' },
      created,
      requires: {},
      metadata: { name: 'demo' },
      ptype: null,
      summary: { params: 3 },
      payload: { units: 1 },
    },
    [
      ['weights', f32([0.5, -1])],
      ['bias', f32([0.25])],
    ],
  ),
  {},
]);

/** The bundle of `value` and what its predictor gives for `rows`. */
async function predicted(value, kind, rows, type, extra = {}) {
  const bundle = await registry.bundle(value, { created, metadata: { purpose: 'compatibility' } });
  const predictions = await registry.predictor(kind, value).predict(rows, type ? { type } : {});
  return [bundle, { rows, ...(type ? { type } : {}), predictions, ...extra }];
}

// tfjs: a dense sequential model and a two-input functional one.
await write('tfjs-sequential-dense', () => {
  const layers = [
    tfl.layers.dense({ units: 8, inputShape: [4], activation: 'relu' }),
    tfl.layers.dense({ units: 6, activation: 'tanh' }),
    tfl.layers.dense({ units: 3, activation: 'softmax' }),
  ];
  const rows = [
    [0.1, 0.2, 0.3, 0.4],
    [1, -1, 0.5, -0.5],
    [-2, 0, 2, 1],
  ];
  return predicted(fixWeights(tfl.sequential({ layers }), 1), 'tfjs.sequential', rows);
});

await write('tfjs-functional', () => {
  const a = tfl.input({ shape: [3], name: 'a' });
  const b = tfl.input({ shape: [2], name: 'b' });
  const merged = tfl.layers.concatenate().apply([tfl.layers.dense({ units: 4, activation: 'relu' }).apply(a), b]);
  const model = tfl.model({ inputs: [a, b], outputs: tfl.layers.dense({ units: 2, activation: 'sigmoid', name: 'out' }).apply(merged) });
  const rows = [
    { a: [1, 2, 3], b: [0.5, -0.5] },
    { a: [0, -1, 0.25], b: [1, 1] },
  ];
  return predicted(fixWeights(model, 7), 'tfjs.functional', rows);
});

// A fitted workflow (preprocessing recipe + tfjs model) on the shipped penguins data.
await write('workflow-classification', async () => {
  const data = JSON.parse(readFileSync(join(dir, '../../../packages/workflows/data/penguins.json'), 'utf8'));
  const spec = sequentialSpec({ mode: 'classification', blocks: [{ block: 'dense', args: { units: 6 } }], fit: { epochs: 3, batchSize: 64, seed: 7 } });
  const workflow = await fitWorkflow(spec, data, { outcome: 'Species' });
  const rows = [0, 3, 150, 300].map((i) => Object.fromEntries(Object.entries(data[i]).filter(([k]) => k !== 'Species')));
  return predicted(workflow, 'workflows.fitted', rows, 'prob');
});

// A third-party plugin's model, and the same kind signed.
const x = Array.from({ length: 20 }, (_, i) => [Math.sin(i), Math.cos(i)]);
const linearRows = [
  { u: 0.5, v: -0.5 },
  { u: -1, v: 2 },
];
await write('linear-regression', () =>
  predicted(fitLinearRegression({ x, y: x.map(([u, v], i) => 1 + 2 * u - v + 0.01 * Math.sin(i * 7)), features: ['u', 'v'] }), 'linear.model', linearRows),
);
await write('linear-classification-signed', async () => {
  const classifier = fitLogisticRegression({ x, y: x.map(([u, v]) => (u > v ? 'up' : 'down')), features: ['u', 'v'], iterations: 200 });
  const seed = Uint8Array.from({ length: 32 }, (_, i) => 200 - i);
  const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]);
  const publicKey = Buffer.from(createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }).export({ format: 'jwk' }).x, 'base64url').toString('hex');
  const [bundle, expected] = await predicted(classifier, 'linear.model', linearRows, 'prob', { publicKey });
  return [await signBundle(bundle, seed), expected];
});
