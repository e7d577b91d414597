import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeBundle, isModelBundleError } from '@modelbundle/core';
import { bundleToModel, ensureBackend } from '@modelbundle/tfjs';
import { importTfjs } from '@modelbundle/tfjs/node';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerKerasLayers } from '../src/index.js';
import { importKeras } from '../src/node/index.js';
import { FIXTURES, inputFor } from './oracle.js';

const x = inputFor([3, 4], 1);

async function predictions(path: string): Promise<number[]> {
  const model = await bundleToModel(encodeBundle(await importKeras(path)));
  const input = tf.tensor(x, [3, 4]);
  const out = model.predict(input) as tf.Tensor;
  const values = Array.from(out.dataSync());
  tf.dispose([input, out]);
  model.dispose();
  return values;
}

beforeAll(async () => {
  await ensureBackend();
  registerKerasLayers();
});

describe('importKeras reads files and folders by their bytes', () => {
  it('a Keras 3 tfjs folder (batch_shape, module wrappers, DTypePolicy, prefixed weight names) predicts as the .keras file', async () => {
    const reference = await predictions(join(FIXTURES, 'mlp.keras'));
    expect(await predictions(join(FIXTURES, 'special', 'tfjs-keras3'))).toEqual(reference);
    expect(await predictions(join(FIXTURES, 'special', 'tfjs-keras3', 'model.json'))).toEqual(reference);
    const bundle = await importKeras(join(FIXTURES, 'special', 'tfjs-keras3'));
    expect(bundle.header.summary).toMatchObject({ keras: { format: 'tfjs', kerasVersion: '3.5.0' } });
  });

  it('importTfjs sends a Keras 3 folder to importKeras instead of writing a bundle tfjs cannot restore', async () => {
    const error = await importTfjs(join(FIXTURES, 'special', 'tfjs-keras3')).catch((e: unknown) => e);
    expect(isModelBundleError(error, 'UNSUPPORTED_PAYLOAD')).toBe(true);
    expect((error as Error).message).toContain('importKeras');
  });

  it('a converter folder whose trainingConfig names BinaryCrossentropy and RMSprop imports and restores; the config is kept as data', async () => {
    const folder = join(FIXTURES, 'special', 'tfjs-keras2-training');
    const bundle = await importTfjs(folder);
    const topology = new TextDecoder().decode(bundle.sections.get('topology.json'));
    expect(topology).toContain('"RMSprop"');
    expect(topology).toContain('"BinaryCrossentropy"');
    expect(await predictions(folder)).toEqual(await predictions(join(FIXTURES, 'mlp.keras')));
  });

  it('an .h5 file and a file of any name are told apart by their bytes', async () => {
    expect(await predictions(join(FIXTURES, 'mlp.h5-named.keras'))).toEqual(await predictions(join(FIXTURES, 'mlp.h5')));
    expect(readFileSync(join(FIXTURES, 'mlp.h5-named.keras')).subarray(1, 4).toString()).toBe('HDF');
  });
});
