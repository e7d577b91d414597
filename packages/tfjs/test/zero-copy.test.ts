import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeBundle, encodeBundle } from '@modelbundle/core';
import { readBundle, writeBundle } from '@modelbundle/core/node';
import { bundleToModel, modelToBundle, useBackend } from '@modelbundle/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactsFromParts, modelParts } from '../src/parts.js';
import { convModel } from './models.js';

// Weights of different sizes, the largest last: the layout tfjs's multi-buffer reader must handle.
function unevenModel(): tfl.Sequential {
  return tfl.sequential({
    layers: [
      tfl.layers.dense({ units: 3, inputShape: [3] }),
      tfl.layers.dense({ units: 3 }),
      tfl.layers.dense({ units: 40, useBias: false }),
      tfl.layers.dense({ units: 50, useBias: false }),
    ],
  });
}

function weightValues(model: tfl.LayersModel): number[][] {
  return model.weights.map((w) => Array.from(w.read().dataSync()));
}

let dir: string;
beforeAll(async () => {
  await useBackend('cpu');
  dir = await mkdtemp(join(tmpdir(), 'mb-zero-copy-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('weights move without extra copies', () => {
  it('saving views each weight where the cpu backend stores it, with its exact bytes', async () => {
    const model = unevenModel();
    const parts = await modelParts(model);
    const weightSections = parts.sections.filter(([name]) => name.startsWith('weights/'));
    expect(weightSections).toHaveLength(model.weights.length);
    model.weights.forEach((w, i) => {
      const stored = w.read().dataSync() as Float32Array;
      const section = weightSections[i]?.[1] as Uint8Array;
      expect(section.buffer).toBe(stored.buffer);
      expect(new Float32Array(section.slice().buffer)).toEqual(stored);
    });
    model.dispose();
  });

  it('loading from a file hands tfjs each section buffer as read, and from bytes a copy of the view only', async () => {
    const model = unevenModel();
    const path = join(dir, 'uneven.mbnd');
    const bundle = await modelToBundle(model);
    await writeBundle(path, bundle);
    const fromFile = await readBundle(path);
    const artifacts = artifactsFromParts({ payload: fromFile.header.payload, sections: fromFile.sections });
    const buffers = artifacts.weightData as ArrayBuffer[];
    const payload = fromFile.header.payload as { weights: { section: string }[] };
    for (const [i, w] of payload.weights.entries()) expect(buffers[i]).toBe(fromFile.sections.get(w.section)?.buffer);
    // Views into one file buffer (a Node Buffer, whose slice() is a view): each weight gets exactly its own bytes.
    const fromBytes = await decodeBundle(Buffer.from(encodeBundle(bundle)));
    const copied = artifactsFromParts({ payload: fromBytes.header.payload, sections: fromBytes.sections }).weightData as ArrayBuffer[];
    expect(copied.map((b) => Array.from(new Float32Array(b)))).toEqual(weightValues(model));
    model.dispose();
  });

  it.each([
    ['uneven', unevenModel],
    ['conv', convModel],
  ])('a %s model restores its exact weights from a file and from bytes', async (name, build) => {
    const model = build();
    const bundle = await modelToBundle(model);
    const path = join(dir, `${name}.mbnd`);
    await writeBundle(path, bundle);
    for (const source of [await readBundle(path), encodeBundle(bundle), Buffer.from(encodeBundle(bundle))]) {
      const restored = await bundleToModel(source);
      expect(weightValues(restored)).toEqual(weightValues(model));
      restored.dispose();
    }
    model.dispose();
    expect(tf.getBackend()).toBe('cpu');
  });
});
