import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeBundle, inspect, ModelBundleError } from '@modelbundle/core';
import { expectCode } from '@modelbundle/testing';
import { bundleIOHandler, bundleToArtifacts, bundleToModel, ensureBackend, modelToBundle } from '@modelbundle/tfjs';
import { exportTfjs } from '@modelbundle/tfjs/node';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installAllocationGuard, measureAllocation } from '../../../test/fuzz/alloc-guard.js';
import { forgeBundle, sectionTable, takeApart } from '../../../test/security/support/forge.js';
import { convModel, multiModel, nestedModel, RECURRENT_INIT, weightBytes } from './models.js';

/**
 * A topology section that lies about a layer's size, beside honest weights:
 * tfjs would run the layer's initializers at build time and allocate what
 * the lie asks for. Unbundling must refuse it without allocating.
 */
async function lyingBundle(model: tfl.LayersModel, edit: (topology: string) => string): Promise<Uint8Array> {
  const { header, sections } = await takeApart(encodeBundle(await modelToBundle(model)));
  model.dispose();
  const payload = header.payload as { topology: string };
  const index = header.sections.findIndex((s) => s.name === payload.topology);
  const before = new TextDecoder().decode(sections[index]);
  const after = edit(before);
  expect(after).not.toBe(before);
  sections[index] = new TextEncoder().encode(after);
  const table = sectionTable(header.sections.map((s, i) => [s.name, sections[i] as Uint8Array] as const));
  return forgeBundle({ ...header, sections: table }, sections);
}

const denseInput = () => tfl.sequential({ layers: [tfl.layers.dense({ units: 2, inputShape: [3] })] });

const lies: [string, () => tfl.LayersModel, (topology: string) => string][] = [
  ['Dense units 10^8', denseInput, (t) => t.replace('"units":2', '"units":100000000')],
  ['a huge input shape feeding a Dense', denseInput, (t) => t.replaceAll('[null,3]', '[null,100000000]')],
  [
    'Conv2D filters 10^8',
    () => tfl.sequential({ layers: [tfl.layers.conv2d({ filters: 2, kernelSize: 2, inputShape: [4, 4, 1] })] }),
    (t) => t.replace('"filters":2', '"filters":100000000'),
  ],
  [
    'Embedding inputDim 10^8',
    () => tfl.sequential({ layers: [tfl.layers.embedding({ inputDim: 5, outputDim: 2, inputLength: 3 })] }),
    (t) => t.replace('"input_dim":5', '"input_dim":100000000'),
  ],
  [
    'a string initializer under a lying Dense',
    denseInput,
    (t) =>
      t
        .replace('"units":2', '"units":100000000')
        .replace(/"kernel_initializer":\{"class_name":"VarianceScaling","config":\{[^}]*\}\}/, '"kernel_initializer":"zeros"'),
  ],
  [
    'a lying Dense that leaves its kernel initializer out (the default would run)',
    denseInput,
    (t) => t.replace('"units":2', '"units":100000000').replace(/"kernel_initializer":\{"class_name":"VarianceScaling","config":\{[^}]*\}\},/, ''),
  ],
  [
    'a lying Dense whose kernel initializer is null',
    denseInput,
    (t) =>
      t
        .replace('"units":2', '"units":100000000')
        .replace(/"kernel_initializer":\{"class_name":"VarianceScaling","config":\{[^}]*\}\}/, '"kernel_initializer":null'),
  ],
  [
    'a lying Dense whose initializer key is camel-cased as tfjs reads it',
    denseInput,
    (t) => t.replace('"units":2', '"units":100000000').replace('"kernel_initializer":{"class_name"', '"kernelInitializer":{"className"'),
  ],
  [
    'a lying LSTM without any initializer keys',
    () => tfl.sequential({ layers: [tfl.layers.lstm({ units: 2, inputShape: [3, 2], ...RECURRENT_INIT })] }),
    (t) => t.replace('"units":2', '"units":20000').replace(/"(kernel|recurrent|bias)_initializer":\{"class_name":"\w+","config":\{[^}]*\}\},/g, ''),
  ],
  [
    'many layers each within the largest weight but together over the total',
    () => tfl.sequential({ layers: [tfl.layers.dense({ units: 4, inputShape: [4] }), tfl.layers.dense({ units: 1 })] }),
    (t) => t.replace('"units":1,', '"units":4,'),
  ],
];

describe('a topology that disagrees with its weights', () => {
  beforeAll(async () => {
    await ensureBackend();
    installAllocationGuard();
  });

  it.each(lies)('%s: MALFORMED in well under a second, nothing allocated', async (_name, make, edit) => {
    const bytes = await lyingBundle(make(), edit);
    const memory = tf.memory();
    const started = performance.now();
    const { largest, result } = await measureAllocation(() => bundleToModel(bytes));
    const elapsed = performance.now() - started;
    expect(result.status).toBe('rejected');
    const error = (result as PromiseRejectedResult).reason as ModelBundleError;
    expect(error).toBeInstanceOf(ModelBundleError);
    expect(error.code, error.message).toBe('MALFORMED');
    expect(error.message).toMatch(/the topology disagrees with its weights; the bundle is damaged or hostile/);
    expect(largest).toBeLessThan(64 * 1024);
    expect(tf.memory().numBytes - memory.numBytes).toBeLessThan(1024);
    expect(elapsed).toBeLessThan(1000);
  });

  it('keeps each restore to its own budget when restores run at once', async () => {
    const source = convModel();
    const honest = encodeBundle(await modelToBundle(source));
    source.dispose();
    const lie = await lyingBundle(denseInput(), (t) => t.replace('"units":2', '"units":3'));
    const results = await Promise.allSettled([bundleToModel(honest), bundleToModel(lie), bundleToModel(honest)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(((results[1] as PromiseRejectedResult).reason as ModelBundleError).code).toBe('MALFORMED');
    for (const r of results) if (r.status === 'fulfilled') r.value.dispose();
  });

  it("is refused the same way by tfjs's own loader through bundleIOHandler", async () => {
    const bytes = await lyingBundle(denseInput(), (t) => t.replace('"units":2', '"units":100000000'));
    const { largest, result } = await measureAllocation(() => tfl.loadLayersModel(bundleIOHandler({ source: bytes })));
    expect(result.status).toBe('rejected');
    expect(((result as PromiseRejectedResult).reason as ModelBundleError).code).toBe('MALFORMED');
    expect(largest).toBeLessThan(64 * 1024);
  });

  it('names the layer, the shape asked for and what the weights justify', async () => {
    const bytes = await lyingBundle(denseInput(), (t) => t.replace('"units":2', '"units":100000000'));
    await expectCode(
      bundleToModel(bytes),
      'MALFORMED',
      /Layer "dense_\w+" asks its kernel initializer for a tensor of shape \[3, 100000000\] \(300000000 elements\), but the largest weight in the bundle holds 6/,
    );
  });
});

describe('stateful recurrent layers', () => {
  const stateful = () => tfl.sequential({ layers: [tfl.layers.simpleRNN({ units: 3, stateful: true, batchInputShape: [4, 2, 2], ...RECURRENT_INIT })] });

  it('round-trips an honest stateful model, states included in its batch size', async () => {
    const source = stateful();
    const restored = await bundleToModel(encodeBundle(await modelToBundle(source)));
    expect(restored.inputs[0]?.shape).toEqual([4, 2, 2]);
    expect(weightBytes(restored)).toEqual(weightBytes(source));
    source.dispose();
    restored.dispose();
  });

  it('refuses states past the limit (batch x units) with LIMIT_EXCEEDED, before allocating them', async () => {
    const bytes = await lyingBundle(stateful(), (t) => t.replaceAll('[4,2,2]', '[100000000,2,2]'));
    const { largest, result } = await measureAllocation(() => bundleToModel(bytes));
    expect(result.status).toBe('rejected');
    const error = (result as PromiseRejectedResult).reason as ModelBundleError;
    expect(error.code, error.message).toBe('LIMIT_EXCEEDED');
    expect(error.message).toMatch(/stateful recurrent layers would hold 100000000 x 6 state values/);
    expect(largest).toBeLessThan(64 * 1024);
  });
});

/** The topology section of a bundle, as bytes. */
async function topologyBytes(bytes: Uint8Array): Promise<Uint8Array> {
  const { header, sections } = await takeApart(bytes);
  const index = header.sections.findIndex((s) => s.name === (header.payload as { topology: string }).topology);
  return sections[index] as Uint8Array;
}

const recurrent = RECURRENT_INIT;
// The last column: tfjs itself adds `"dtype"` to an Embedding's config on load, so those topologies change once, with or without guards.
const shapes: [string, () => tfl.LayersModel, boolean][] = [
  ['conv2d + pooling + batch norm (moving statistics) + dropout', convModel, true],
  [
    'embedding + LSTM (unit forget bias) + GRU + SimpleRNN',
    () =>
      tfl.sequential({
        layers: [
          tfl.layers.embedding({ inputDim: 10, outputDim: 3, inputLength: 4 }),
          tfl.layers.lstm({ units: 3, returnSequences: true, unitForgetBias: true, ...recurrent }),
          tfl.layers.gru({ units: 2, returnSequences: true, ...recurrent }),
          tfl.layers.simpleRNN({ units: 2, ...recurrent }),
          tfl.layers.dense({ units: 1, kernelInitializer: 'heNormal', biasInitializer: tfl.initializers.constant({ value: 0.5 }) }),
        ],
      }),
    false,
  ],
  [
    'bidirectional LSTM + time-distributed dense',
    () =>
      tfl.sequential({
        layers: [
          tfl.layers.bidirectional({ layer: tfl.layers.lstm({ units: 2, returnSequences: true, ...recurrent }) as tfl.RNN, inputShape: [3, 2] }),
          tfl.layers.timeDistributed({ layer: tfl.layers.dense({ units: 2, kernelInitializer: 'leCunUniform' }) }),
        ],
      }),
    true,
  ],
  ['multi-input functional with a shared layer', multiModel, false],
  ['sequential nested in a functional model', nestedModel, true],
];

describe('a restored model keeps its own initializers', () => {
  let dir: string;
  beforeAll(async () => {
    await ensureBackend();
    dir = await mkdtemp(join(tmpdir(), 'mb-guard-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it.each(shapes)('%s: bitwise weights, the same topology bytes when bundled again, the same model.json', async (name, make, fixedPoint) => {
    const model = make();
    const bytes = encodeBundle(await modelToBundle(model));
    const restored = await bundleToModel(bytes);
    try {
      const before = weightBytes(model);
      const after = weightBytes(restored);
      expect(after).toHaveLength(before.length);
      for (const [i, w] of after.entries()) expect(w.equals(before[i] as Buffer), `weight ${i}`).toBe(true);
      const again = encodeBundle(await modelToBundle(restored));
      const topology = new TextDecoder().decode(await topologyBytes(again));
      // What tfjs's own loader gives, unguarded, bundled again.
      const plain = await tfl.loadLayersModel(tf.io.fromMemory(await bundleToArtifacts(bytes)));
      const reference = fixedPoint ? bytes : encodeBundle(await modelToBundle(plain));
      plain.dispose();
      expect(topology).toBe(new TextDecoder().decode(await topologyBytes(reference)));
      expect(JSON.stringify(restored.toJSON(null, false))).not.toContain('ModelBundleGuardedInitializer');
      const first = join(dir, `${name.length}-first`);
      const second = join(dir, `${name.length}-second`);
      await exportTfjs(reference, first);
      await exportTfjs(again, second);
      expect(await readFile(join(second, 'model.json'), 'utf8')).toBe(await readFile(join(first, 'model.json'), 'utf8'));
      expect((await inspect(again)).header.summary).toEqual((await inspect(bytes)).header.summary);
    } finally {
      model.dispose();
      restored.dispose();
    }
  });

  it("loads an honest bundle through tfjs's own loader, the guarded trial build leaving no tensor behind", async () => {
    const model = convModel();
    const bytes = encodeBundle(await modelToBundle(model));
    const before = tf.memory().numTensors;
    const loaded = await tfl.loadLayersModel(bundleIOHandler({ source: bytes }));
    expect(weightBytes(loaded)).toEqual(weightBytes(model));
    loaded.dispose();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('restores an honest topology that leaves initializers out, with the layer defaults tfjs would use', async () => {
    const model = tfl.sequential({ layers: [tfl.layers.lstm({ units: 2, inputShape: [3, 2], ...RECURRENT_INIT }), tfl.layers.dense({ units: 1 })] });
    const weights = weightBytes(model);
    const bytes = await lyingBundle(model, (t) => t.replace(/"(kernel|recurrent|bias)_initializer":\{"class_name":"\w+","config":\{[^}]*\}\},/g, ''));
    const restored = await bundleToModel(bytes);
    expect(weightBytes(restored)).toEqual(weights);
    const lstm = restored.layers[0]?.getConfig() as Record<string, { className: string }>;
    expect([lstm.kernelInitializer?.className, lstm.recurrentInitializer?.className, lstm.biasInitializer?.className]).toEqual([
      'VarianceScaling',
      'Orthogonal',
      'Zeros',
    ]);
    restored.dispose();
  });

  it('builds a restored model with the real initializers again later (a new layer from its config)', async () => {
    const model = tfl.sequential({ layers: [tfl.layers.dense({ units: 2, inputShape: [3], biasInitializer: 'ones' })] });
    const restored = await bundleToModel(encodeBundle(await modelToBundle(model)));
    const config = restored.layers[0]?.getConfig() as { biasInitializer: unknown };
    const fresh = tfl.layers.dense({ units: 2, inputShape: [3], biasInitializer: config.biasInitializer as 'ones' });
    const copy = tfl.sequential({ layers: [fresh] });
    expect(Array.from(copy.getWeights()[1]?.dataSync() ?? [])).toEqual([1, 1]);
    for (const m of [model, restored, copy]) m.dispose();
  });
});
