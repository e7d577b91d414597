import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeBundle, encodeBundle } from '@modelbundle/core';
import { readBundle, writeBundle } from '@modelbundle/core/node';
import { bundleToArtifacts, bundleToModel, modelToBundle, useBackend } from '@modelbundle/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGuarded } from '../src/initializer-guard.js';
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
      tfl.layers.dense({ units: 400, useBias: false }), // 80 KB: a section of its own; the others share one
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
    const sections = new Map(parts.sections);
    const own = parts.payload.weights.filter((w) => w.offset === undefined);
    expect(own).toHaveLength(1);
    model.weights.forEach((w, i) => {
      const stored = w.read().dataSync() as Float32Array;
      const entry = parts.payload.weights[i] as (typeof parts.payload.weights)[number];
      const section = sections.get(entry.section) as Uint8Array;
      const at = entry.offset ?? 0;
      if (entry.offset === undefined) expect(section.buffer).toBe(stored.buffer); // the large weight: not copied
      expect(new Float32Array(section.slice(at, at + stored.byteLength).buffer)).toEqual(stored);
    });
    model.dispose();
  });

  it('loading on the cpu backend makes every weight a view of its section bytes, with no copy', async () => {
    const model = unevenModel();
    const path = join(dir, 'uneven.mbnd');
    await writeBundle(path, await modelToBundle(model));
    const fromFile = await readBundle(path);
    const restored = await bundleToModel(fromFile);
    const payload = fromFile.header.payload as { weights: { name: string; section: string; offset?: number }[] };
    const byName = new Map(restored.weights.map((w) => [w.originalName, w.read().dataSync() as Float32Array]));
    for (const w of payload.weights) {
      const section = fromFile.sections.get(w.section) as Uint8Array;
      const values = byName.get(w.name) as Float32Array;
      expect(values.buffer).toBe(section.buffer);
      expect(values.byteOffset).toBe(section.byteOffset + (w.offset ?? 0));
    }
    expect(weightValues(restored)).toEqual(weightValues(model));
    restored.dispose();
    model.dispose();
  });

  it('a build whose every weight is set next gives all of them one shared zero buffer on cpu, not one cleared buffer each', async () => {
    const model = unevenModel();
    const built = await buildGuarded(await bundleToArtifacts(await modelToBundle(model)), { unwritten: true });
    const stored = built.weights.map((w) => w.read().dataSync() as Float32Array);
    expect(new Set(stored.map((values) => values.buffer)).size).toBe(1);
    expect(stored.every((values) => values.every((v) => v === 0))).toBe(true);
    built.dispose();
    // A plain build gives each weight its own.
    const plain = await buildGuarded(await bundleToArtifacts(await modelToBundle(model)));
    expect(new Set(plain.weights.map((w) => (w.read().dataSync() as Float32Array).buffer)).size).toBe(plain.weights.length);
    plain.dispose();
    model.dispose();
  });

  it("artifactsFromParts gives tfjs exactly each weight's bytes, copying a view into a larger buffer", async () => {
    const model = unevenModel();
    const bundle = await modelToBundle(model);
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
