import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBundle, encodeBundle, generateKeyPair, type HeaderDraft, signBundle } from '@modelbundle/core';
import { WHOLE_FILE_BYTES, writeBundle } from '@modelbundle/core/node';
import { draft, expectCode } from '@modelbundle/testing';
import { bundleToModel, currentBackend, modelToBundle, useBackend } from '@modelbundle/tfjs';
import { loadModel } from '@modelbundle/tfjs/node';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelFromSections, modelParts } from '../src/parts.js';
import { values, weightBytes } from './models.js';

/** True when both models hold the same weight bytes (Buffer.equals: vitest's deep equality walks every element). */
const sameWeights = (a: tfl.LayersModel, b: tfl.LayersModel) => {
  const [x, y] = [weightBytes(a), weightBytes(b)];
  return x.length === y.length && x.every((w, i) => w.equals(y[i] as Buffer));
};

/**
 * Small weights that share a section, kernels in sections of their own (one of 18 MiB, so the file is over
 * WHOLE_FILE_BYTES and loadModel reads it section by section on wasm), and an optimizer to keep.
 */
function mixedModel(): tfl.Sequential {
  const model = tfl.sequential({
    layers: [
      tfl.layers.dense({ units: 8, inputShape: [4], activation: 'relu' }),
      tfl.layers.dense({ units: 1024 }),
      tfl.layers.dense({ units: 4608, activation: 'relu' }),
      tfl.layers.dense({ units: 3, activation: 'softmax' }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
  return model;
}

const input = () => tf.tensor2d(values(12, 5), [3, 4]);

let dir: string;
beforeAll(async () => {
  await useBackend('wasm');
  dir = await mkdtemp(join(tmpdir(), 'mb-load-model-'));
});
afterAll(async () => {
  await useBackend('wasm');
  await rm(dir, { recursive: true, force: true });
});

describe('loadModel (a bundle file, read section by section on wasm)', () => {
  it('restores exact weights, predictions and optimizer state, on wasm and on cpu', async () => {
    for (const backend of ['wasm', 'cpu']) {
      await useBackend(backend);
      const model = mixedModel();
      const [x, y] = [input(), tf.oneHot(tf.tensor1d([0, 2, 1], 'int32'), 3)];
      await model.fit(x, y, { epochs: 1, verbose: 0 });
      const path = join(dir, `mixed-${backend}.mbnd`);
      await writeBundle(path, await modelToBundle(model, { includeOptimizer: true }));
      const before = tf.memory().numTensors;
      const loaded = await loadModel(path);
      expect(currentBackend()).toBe(backend);
      expect(sameWeights(loaded, model)).toBe(true);
      const [a, b] = [model.predict(x) as tf.Tensor, loaded.predict(x) as tf.Tensor];
      expect(Buffer.from(b.dataSync().buffer).equals(Buffer.from(a.dataSync().buffer))).toBe(true);
      // One more step from the restored optimizer state lands on the same weights.
      await model.trainOnBatch(x, y);
      await loaded.trainOnBatch(x, y);
      expect(sameWeights(loaded, model)).toBe(true);
      tf.dispose([a, b, x, y]);
      loaded.dispose();
      expect(tf.memory().numTensors).toBeLessThanOrEqual(before);
      model.dispose();
    }
    await useBackend('wasm');
  });

  it('on wasm reads every weight section into one buffer it reuses, the size of the largest; on cpu each into its own', async () => {
    const model = mixedModel();
    const parts = await modelParts(model);
    const sections = new Map(parts.sections);
    const lengths = new Map([...sections].map(([name, bytes]) => [name, { byteLength: bytes.byteLength }]));
    const largest = Math.max(...parts.payload.weights.map((w) => lengths.get(w.section)?.byteLength ?? 0));
    for (const backend of ['wasm', 'cpu']) {
      await useBackend(backend);
      const reads: { name: string; into?: Uint8Array }[] = [];
      const read = async (name: string, into?: Uint8Array) => {
        reads.push({ name, ...(into ? { into } : {}) });
        const bytes = sections.get(name) as Uint8Array;
        if (!into) return bytes.slice();
        into.set(bytes);
        return into.subarray(0, bytes.byteLength);
      };
      const restored = await modelFromSections(parts.payload, { lengths, read });
      expect(sameWeights(restored, model)).toBe(true);
      restored.dispose();
      const weightSections = [...new Set(parts.payload.weights.map((w) => w.section))];
      expect(reads.map((r) => r.name)).toEqual([parts.payload.topology, ...weightSections]); // each once, in file order
      const buffers = new Set(reads.slice(1).map((r) => r.into));
      if (backend === 'wasm') {
        expect(buffers.size).toBe(1);
        expect([...buffers][0]?.byteLength).toBe(largest);
      } else expect([...buffers]).toEqual([undefined]);
    }
    await useBackend('wasm');
    model.dispose();
  });

  it('fails a damaged weight section with CORRUPT, leaving no tensor behind', async () => {
    const model = mixedModel();
    const bundle = await modelToBundle(model);
    model.dispose();
    const path = join(dir, 'damaged.mbnd');
    await writeBundle(path, bundle);
    const bytes = await readFile(path);
    const last = bundle.header.sections.at(-1) as (typeof bundle.header.sections)[number];
    const at = bytes.length - last.length + Math.floor(last.length / 2);
    bytes[at] = (bytes[at] as number) ^ 0x40;
    await writeFile(path, bytes);
    const before = tf.memory().numTensors;
    const error = await expectCode(() => loadModel(path), 'CORRUPT');
    expect(error.details.region).toBe(`section:${last.name}`);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('checks a section the model does not use too, as readBundle does', async () => {
    const model = mixedModel();
    const bundle = await modelToBundle(model);
    model.dispose();
    const { format: _f, sections: _s, ...rest } = bundle.header;
    const withExtra = await createBundle(rest as HeaderDraft, [...bundle.sections, ['notes/extra', new Uint8Array(1000).fill(7)]]);
    const path = join(dir, 'extra.mbnd');
    await writeBundle(path, withExtra);
    expect((await stat(path)).size).toBeGreaterThan(WHOLE_FILE_BYTES);
    (await loadModel(path)).dispose();
    const bytes = await readFile(path);
    bytes[bytes.length - 10] = 8;
    await writeFile(path, bytes);
    const before = tf.memory().numTensors;
    expect((await expectCode(() => loadModel(path), 'CORRUPT')).details.region).toBe('section:notes/extra');
    expect(tf.memory().numTensors).toBe(before);
  });

  it('checks the signature with trustedKeys, and refuses keys with skipVerify', async () => {
    const model = mixedModel();
    const keys = await generateKeyPair();
    const stranger = await generateKeyPair();
    const bundle = await modelToBundle(model);
    model.dispose();
    const signedPath = join(dir, 'signed.mbnd');
    const unsignedPath = join(dir, 'unsigned.mbnd');
    await writeFile(signedPath, encodeBundle(await signBundle(bundle, keys.privateKey)));
    await writeBundle(unsignedPath, bundle);
    (await loadModel(signedPath, { trustedKeys: [keys.publicKey] })).dispose();
    expect((await expectCode(() => loadModel(unsignedPath, { trustedKeys: [keys.publicKey] }), 'SIGNATURE_INVALID')).details.reason).toBe('unsigned');
    expect((await expectCode(() => loadModel(signedPath, { trustedKeys: [stranger.publicKey] }), 'SIGNATURE_INVALID')).details.reason).toBe('untrusted');
    await expectCode(() => loadModel(signedPath, { trustedKeys: [keys.publicKey], skipVerify: true }), 'INVALID_ARGUMENT');
  });

  it('refuses another kind, and a payload newer than it reads, as bundleToModel does', async () => {
    const other = join(dir, 'other.mbnd');
    await writeBundle(other, await createBundle(draft({ kind: 'example.thing' }), [['data', new Uint8Array(4)]]));
    await expectCode(() => loadModel(other), 'UNKNOWN_KIND', 'not a tfjs model');
    const model = mixedModel();
    const bundle = await modelToBundle(model);
    model.dispose();
    const { format: _f, sections: _s, ...rest } = bundle.header;
    const newer = await createBundle({ ...(rest as HeaderDraft), serializer: { ...bundle.header.serializer, version: '9.0.0' } }, bundle.sections);
    const path = join(dir, 'newer.mbnd');
    await writeBundle(path, newer);
    const expected = await expectCode(() => bundleToModel(newer), 'UNSUPPORTED_PAYLOAD');
    const error = await expectCode(() => loadModel(path), 'UNSUPPORTED_PAYLOAD');
    expect(error.message).toBe(expected.message);
  });
});
