import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeBundle, inspect } from '@modelbundle/core';
import { expectCode } from '@modelbundle/testing';
import { bundleToModel, ensureBackend, type TfjsSummary } from '@modelbundle/tfjs';
import { importTfjs } from '@modelbundle/tfjs/node';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { predictionBytes, values, weightBytes } from './models.js';
import { serveDirectory } from './static-server.js';

let dir: string;
let base: string;
let close: () => Promise<void>;

beforeAll(async () => {
  await ensureBackend();
  dir = await mkdtemp(join(tmpdir(), 'mbnd-tfjs-import-'));
  ({ url: base, close } = await serveDirectory(dir));
});

afterAll(async () => {
  await close();
  await rm(dir, { recursive: true, force: true });
});

const initializer = (name: string) => ({ module: 'keras.initializers', class_name: name, config: { seed: null }, registered_name: null });
const dense = (name: string, units: number, activation: string) => ({
  module: 'keras.layers',
  class_name: 'Dense',
  config: {
    name,
    trainable: true,
    dtype: 'float32',
    units,
    activation,
    use_bias: true,
    kernel_initializer: initializer('GlorotUniform'),
    bias_initializer: { module: 'keras.initializers', class_name: 'Zeros', config: {}, registered_name: null },
    kernel_regularizer: null,
    bias_regularizer: null,
    activity_regularizer: null,
    kernel_constraint: null,
    bias_constraint: null,
  },
  registered_name: null,
});

/** A model.json as the tfjs converter writes it for a Keras Sequential model (Keras 2.x topology). */
function kerasModelJson(paths: string[], weights: tf.io.WeightsManifestEntry[]): object {
  return {
    format: 'layers-model',
    generatedBy: 'keras v2.15.0',
    convertedBy: 'TensorFlow.js Converter v4.22.0',
    modelTopology: {
      keras_version: '2.15.0',
      backend: 'tensorflow',
      model_config: {
        class_name: 'Sequential',
        config: {
          name: 'sequential',
          layers: [
            { class_name: 'InputLayer', config: { batch_input_shape: [null, 4], dtype: 'float32', sparse: false, ragged: false, name: 'dense_input' } },
            dense('dense', 8, 'relu'),
            dense('dense_1', 3, 'softmax'),
          ],
        },
      },
      training_config: {
        loss: 'categorical_crossentropy',
        metrics: null,
        weighted_metrics: null,
        loss_weights: null,
        optimizer_config: { class_name: 'Adam', config: { name: 'Adam', learning_rate: 0.001, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7, amsgrad: false } },
      },
    },
    weightsManifest: [{ paths, weights }],
  };
}

const SPECS: tf.io.WeightsManifestEntry[] = [
  { name: 'dense/kernel', shape: [4, 8], dtype: 'float32' },
  { name: 'dense/bias', shape: [8], dtype: 'float32' },
  { name: 'dense_1/kernel', shape: [8, 3], dtype: 'float32' },
  { name: 'dense_1/bias', shape: [3], dtype: 'float32' },
];

/** Writes the weights as the converter does: one byte stream cut into shards of `shardBytes`, tensors straddling shards. */
async function writeSharded(target: string, bytes: Uint8Array, shardBytes: number): Promise<string[]> {
  await mkdir(target, { recursive: true });
  const count = Math.ceil(bytes.byteLength / shardBytes);
  const paths: string[] = [];
  for (let i = 0; i < count; i++) {
    const name = `group1-shard${i + 1}of${count}.bin`;
    await writeFile(join(target, name), bytes.subarray(i * shardBytes, (i + 1) * shardBytes));
    paths.push(name);
  }
  return paths;
}

describe('importTfjs', () => {
  it('bundles a converter-style directory with sharded weights, bit-exact with plain tfjs loading the same files', async () => {
    const floats = Float32Array.from(values(32 + 8 + 24 + 3, 7));
    const target = join(dir, 'keras');
    const paths = await writeSharded(target, new Uint8Array(floats.buffer), 100);
    expect(paths).toHaveLength(3);
    await writeFile(join(target, 'model.json'), JSON.stringify(kerasModelJson(paths, SPECS)));

    const bundle = await importTfjs(target, { metadata: { source: 'keras' } });
    const summary = bundle.header.summary as TfjsSummary;
    expect(bundle.header.kind).toBe('tfjs.sequential');
    expect(summary.parameters).toBe(floats.length);
    expect(summary.inputs).toEqual([{ name: 'dense_input', shape: [null, 4], dtype: 'float32' }]);
    expect(summary.tfjsLayers).toBe('2.15.0');
    expect(summary.layers).toBe(2);
    expect((await inspect(encodeBundle(bundle))).header.metadata).toEqual({ source: 'keras' });

    const fromBundle = await bundleToModel(encodeBundle(bundle));
    const plain = await tfl.loadLayersModel(`${base}/keras/model.json`);
    expect(Buffer.concat(weightBytes(fromBundle)).equals(Buffer.from(floats.buffer))).toBe(true);
    const x = [tf.tensor2d(values(8, 2), [2, 4])];
    expect(predictionBytes(fromBundle, x)).toEqual(predictionBytes(plain, x));
    // tfjs reads a converted model's training config only from model.json's trainingConfig, not Keras's; neither loader compiles it.
    expect(fromBundle.optimizer === undefined).toBe(plain.optimizer === undefined);
    tf.dispose(x);
    fromBundle.dispose();
    plain.dispose();
  });

  it('accepts the model.json path and decodes uint8-quantized weights to float32', async () => {
    const target = join(dir, 'quantized');
    const scale = 0.01;
    const min = -1;
    const quantized = Uint8Array.from({ length: 67 }, (_, i) => (i * 37) % 256);
    const specs = SPECS.map((s) => ({ ...s, quantization: { dtype: 'uint8' as const, scale, min } }));
    const paths = await writeSharded(target, quantized, 40);
    await writeFile(join(target, 'model.json'), JSON.stringify(kerasModelJson(paths, specs)));
    const model = await bundleToModel(await importTfjs(join(target, 'model.json')));
    const expected = Float32Array.from(quantized, (q) => q * scale + min);
    expect(Buffer.concat(weightBytes(model)).equals(Buffer.from(expected.buffer))).toBe(true);
    model.dispose();
  });

  it('refuses weight paths that leave the model directory', async () => {
    const target = join(dir, 'escape');
    await mkdir(target, { recursive: true });
    await writeFile(join(target, 'model.json'), JSON.stringify(kerasModelJson(['../keras/group1-shard1of3.bin'], SPECS)));
    await expectCode(importTfjs(target), 'INVALID_ARGUMENT', 'outside');
  });

  it('refuses a graph model, a broken model.json and a missing directory', async () => {
    const graph = join(dir, 'graph');
    await mkdir(graph, { recursive: true });
    await writeFile(join(graph, 'model.json'), JSON.stringify({ format: 'graph-model', modelTopology: {}, weightsManifest: [] }));
    await expectCode(importTfjs(graph), 'SERIALIZATION_FAILED', 'graph-model');
    const broken = join(dir, 'broken');
    await mkdir(broken, { recursive: true });
    await writeFile(join(broken, 'model.json'), '{"modelTopology": ');
    await expectCode(importTfjs(broken), 'MALFORMED', 'not valid JSON');
    await expectCode(importTfjs(join(dir, 'nowhere')), 'IO_ERROR', 'nowhere');
  });

  it('refuses shards shorter than the manifest says', async () => {
    const target = join(dir, 'short');
    const paths = await writeSharded(target, new Uint8Array(100), 100);
    await writeFile(join(target, 'model.json'), JSON.stringify(kerasModelJson(paths, SPECS)));
    await expectCode(importTfjs(target), 'SERIALIZATION_FAILED', 'dense/kernel');
  });
});
