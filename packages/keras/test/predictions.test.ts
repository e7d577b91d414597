import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeBundle } from '@modelbundle/core';
import { bundleToModel, ensureBackend } from '@modelbundle/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { kerasToBundle, registerKerasLayers } from '../src/index.js';
import { FIXTURES, fixtureFiles, inputFor, missingOracleDeps, nest, oraclePredict } from './oracle.js';

const BATCH = 3;
/** Models whose input is token ids, with their vocabulary size. */
const TOKEN_INPUTS: Record<string, number> = { embedding: 12 };

type Result = { file: string; inputs: { shape: number[]; values: number[] }[]; tfjs: number[][]; summary: Record<string, unknown> };
const results = new Map<string, Result>();
let oracle: unknown[][] = [];
const missing = missingOracleDeps();

beforeAll(async () => {
  await ensureBackend();
  registerKerasLayers();
  for (const file of fixtureFiles()) {
    const bundle = await kerasToBundle(readFileSync(join(FIXTURES, file)), { onWarning: () => {} });
    const model = await bundleToModel(encodeBundle(bundle));
    const vocabulary = TOKEN_INPUTS[file.split('.')[0] as string];
    const inputs = model.inputs.map((t, i) => {
      const shape = [BATCH, ...(t.shape.slice(1) as number[])];
      return { shape, values: inputFor(shape, i + 1, vocabulary) };
    });
    const out = model.predict(inputs.map((x) => tf.tensor(x.values, x.shape))) as tf.Tensor | tf.Tensor[];
    const outs = Array.isArray(out) ? out : [out];
    results.set(file, { file, inputs, tfjs: outs.map((t) => Array.from(t.dataSync())), summary: bundle.header.summary as Record<string, unknown> });
    tf.dispose(outs);
    model.dispose();
  }
  if (!missing)
    oracle = oraclePredict([...results.values()].map((r) => ({ file: join(FIXTURES, r.file), inputs: r.inputs.map((x) => nest(x.values, x.shape)) })));
}, 120_000);

/**
 * The largest |tfjs - numpy| / max(|numpy|, a tenth of that output's largest |numpy|): float32 sums that cancel to
 * near zero are judged against the output's scale, not their own tiny size.
 */
function worstRelative(tfjs: number[][], numpy: unknown[]): number {
  let worst = 0;
  tfjs.forEach((values, o) => {
    const ref = (numpy[o] as unknown[]).flat(8) as number[];
    expect(ref.length).toBe(values.length);
    const scale = Math.max(...ref.map(Math.abs)) / 10;
    values.forEach((v, i) => {
      const r = ref[i] as number;
      const rel = Math.abs(v - r) / Math.max(Math.abs(r), scale, 1e-6);
      if (process.env.KERAS_ORACLE_DEBUG && rel > 1e-5) console.log(o, i, v, r, rel);
      worst = Math.max(worst, rel);
    });
  });
  return worst;
}

describe.skipIf(missing !== null)('imported Keras models predict what the numpy oracle computes', () => {
  it.each(fixtureFiles())('%s', (file) => {
    const result = results.get(file) as Result;
    const index = [...results.keys()].indexOf(file);
    expect(worstRelative(result.tfjs, oracle[index] as unknown[])).toBeLessThan(1e-5);
  });
});

describe('same-model pairs', () => {
  it.each(['mlp', 'cnn', 'conv1d', 'rnn', 'wrappers', 'embedding', 'functional', 'activations', 'shapes', 'shared', 'image_ops'])(
    '%s: the .keras file and its .keras3.h5 twin predict identically',
    (name) => {
      const a = results.get(`${name}.keras`) as Result;
      const b = results.get(`${name}.keras3.h5`) as Result;
      expect(b.tfjs).toEqual(a.tfjs);
    },
  );

  it('Keras 2 layouts of one model (.h5, bare-list .h5, .keras 2.13, Windows .keras, HDF5 named .keras) predict identically', () => {
    const base = (results.get('mlp.h5') as Result).tfjs;
    for (const file of ['mlp.bare-list.h5', 'mlp.keras213.keras', 'mlp.windows.keras', 'mlp.h5-named.keras'])
      expect((results.get(file) as Result).tfjs).toEqual(base);
  });

  it('the summary records the source format and Keras version', () => {
    expect((results.get('mlp.keras') as Result).summary.keras).toEqual({ format: 'keras', kerasVersion: '3.5.0', kerasClasses: [] });
    expect((results.get('mlp.h5-named.keras') as Result).summary.keras).toMatchObject({ format: 'h5', kerasVersion: '2.15.0' });
    expect((results.get('rnn.keras') as Result).summary.keras).toMatchObject({ kerasClasses: ['KerasGRU'] });
  });
});
