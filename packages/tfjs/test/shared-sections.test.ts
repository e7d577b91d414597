import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBundle, createRegistry, encodeBundle, type HeaderDraft } from '@modelbundle/core';
import { readBundle, writeBundle } from '@modelbundle/core/node';
import { expectCode } from '@modelbundle/testing';
import { bundleToModel as modelFromBytes, modelToBundle, tfjsPlugin, useBackend } from '@modelbundle/tfjs';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelParts } from '../src/parts.js';
import { PAYLOAD_VERSION } from '../src/version.js';

/** Many small weights (16 x 16 kernels, 16 biases) and one large one (the 512 x 64 kernel, 128 KiB). */
function manySmallWeights(): tfl.Sequential {
  const model = tfl.sequential();
  model.add(tfl.layers.dense({ units: 64, inputShape: [512] }));
  model.add(tfl.layers.dense({ units: 16 }));
  for (let i = 0; i < 20; i++) model.add(tfl.layers.dense({ units: 16, activation: 'relu' }));
  return model;
}

const values = (model: tfl.LayersModel) => model.weights.map((w) => Array.from(w.read().dataSync()));
type Payload = { weights: { name: string; section: string; offset?: number }[] };

let dir: string;
beforeAll(async () => {
  await useBackend('cpu');
  dir = await mkdtemp(join(tmpdir(), 'mb-shared-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('small weights share sections (payload 2.0)', () => {
  it('packs small weights at 64-byte offsets and keeps a large one alone, as it is', async () => {
    const model = manySmallWeights();
    const parts = await modelParts(model);
    const weightSections = parts.sections.filter(([name]) => name.startsWith('weights/'));
    expect(weightSections.length).toBeLessThan(4);
    expect(parts.payload.weights).toHaveLength(model.weights.length);
    const large = parts.payload.weights[0];
    expect(large?.offset).toBeUndefined();
    const stored = model.weights[0]?.read().dataSync() as Float32Array;
    const [, section] = weightSections.find(([name]) => name === large?.section) ?? [];
    expect((section as Uint8Array).buffer).toBe(stored.buffer); // not copied
    const shared = parts.payload.weights.slice(1);
    expect(shared.every((w) => typeof w.offset === 'number' && w.offset % 64 === 0)).toBe(true);
    expect(new Set(shared.map((w) => w.section)).size).toBe(1);
    model.dispose();
  });

  it('restores exact weights from a file and from bytes, each a view of the shared section on cpu', async () => {
    const model = manySmallWeights();
    const bundle = await modelToBundle(model);
    expect(bundle.header.serializer.version).toBe(PAYLOAD_VERSION);
    const path = join(dir, 'shared.mbnd');
    await writeBundle(path, bundle);
    const fromFile = await readBundle(path);
    const restored = await modelFromBytes(fromFile);
    expect(values(restored)).toEqual(values(model));
    const payload = fromFile.header.payload as Payload;
    const last = payload.weights.at(-1) as Payload['weights'][number];
    const view = restored.weights.at(-1)?.read().dataSync() as Float32Array;
    const section = fromFile.sections.get(last.section) as Uint8Array;
    expect(view.buffer).toBe(section.buffer);
    expect(view.byteOffset).toBe(section.byteOffset + (last.offset as number));
    restored.dispose();
    const fromBytes = await modelFromBytes(encodeBundle(bundle));
    expect(values(fromBytes)).toEqual(values(model));
    fromBytes.dispose();
    model.dispose();
  });

  it('refuses a shared section whose offsets do not tile it', async () => {
    const model = manySmallWeights();
    const original = await modelToBundle(model);
    model.dispose();
    const altered = async (edit: (p: Payload, s: Map<string, Uint8Array>) => void) => {
      const payload = structuredClone(original.header.payload) as Payload;
      const sections = new Map(original.sections);
      edit(payload, sections);
      const { format: _f, sections: _s, ...draft } = original.header;
      return encodeBundle(await createBundle({ ...(draft as HeaderDraft), payload }, sections));
    };
    const second = (p: Payload) => p.weights[2] as Payload['weights'][number];
    await expectCode(
      modelFromBytes(
        await altered((p) => {
          second(p).offset = 4; // overlaps the weight before it
        }),
      ),
      'MALFORMED',
      'must start at',
    );
    await expectCode(
      modelFromBytes(
        await altered((p, s) => {
          const name = second(p).section;
          s.set(name, new Uint8Array([...(s.get(name) as Uint8Array), 0, 0, 0, 0])); // trailing bytes
        }),
      ),
      'MALFORMED',
      'ends with its last weight',
    );
    await expectCode(
      modelFromBytes(
        await altered((p) => {
          delete second(p).offset; // a shared section claimed as one weight's own
        }),
      ),
      'MALFORMED',
      'used twice',
    );
  });

  it('a reader of payload 1.x refuses a 2.0 bundle, naming the version to upgrade to', async () => {
    const model = manySmallWeights();
    const bytes = encodeBundle(await modelToBundle(model));
    model.dispose();
    const oldReader = createRegistry({ autoload: false });
    for (const s of tfjsPlugin.serializers) oldReader.register({ ...s, reads: '^1.0.0' });
    await expectCode(oldReader.unbundle(bytes), 'UNSUPPORTED_PAYLOAD', 'Upgrade @modelbundle/tfjs to a release that reads 2.0.0');
  });
});
