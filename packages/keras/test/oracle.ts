import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeBundle } from '@modelbundle/core';
import { bundleToModel } from '@modelbundle/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import { kerasToBundle } from '../src/index.js';

/** Debian's Python, where scripts/system-deps.sh installs numpy and h5py. */
export const PYTHON = process.env.MODELBUNDLE_PYTHON ?? '/usr/bin/python3';

/** The Keras fixtures and the numpy oracle that reads them. */
export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test', 'fixtures', 'keras');

/** Every model file among the fixtures. */
export function fixtureFiles(): string[] {
  return readdirSync(FIXTURES)
    .filter((f) => /\.(keras|h5)$/.test(f))
    .sort();
}

/** Null when Python has numpy and h5py; otherwise what to do about it. */
export function missingOracleDeps(): string | null {
  const result = spawnSync(PYTHON, ['-c', 'import numpy, h5py'], { encoding: 'utf8' });
  if (result.status === 0) return null;
  return `${PYTHON} cannot import numpy and h5py (${(result.stderr || String(result.error)).trim()}). Run scripts/system-deps.sh as root (it installs python3-numpy and python3-h5py), or set MODELBUNDLE_PYTHON.`;
}

/** The numpy forward pass's outputs for each job (one list of model outputs per job). */
export function oraclePredict(jobs: { file: string; inputs: unknown[] }[]): unknown[][] {
  const result = spawnSync(PYTHON, ['-B', join(FIXTURES, 'numpy_keras.py')], {
    cwd: FIXTURES,
    input: JSON.stringify(jobs),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`The numpy oracle failed: ${result.stderr || String(result.error)}`);
  return JSON.parse(result.stdout) as unknown[][];
}

/** Deterministic inputs for a tensor of `shape` (batch first); `integers` gives token ids below it. */
export function inputFor(shape: number[], seed: number, integers?: number): number[] {
  const n = shape.reduce((a, b) => a * b, 1);
  return Array.from({ length: n }, (_, i) => {
    const v = Math.sin((i + 1) * 12.9898 + seed * 78.233) * 43758.5453;
    const unit = v - Math.floor(v);
    return integers ? Math.floor(unit * integers) : unit * 4 - 2;
  });
}

/** Nests a flat list into `shape`. */
export function nest(values: number[], shape: number[]): unknown {
  if (shape.length <= 1) return values;
  const step = values.length / (shape[0] as number);
  return Array.from({ length: shape[0] as number }, (_, i) => nest(values.slice(i * step, (i + 1) * step), shape.slice(1)));
}

/**
 * The largest |tfjs - numpy| / max(|numpy|, a tenth of that output's largest |numpy|): float32 sums that cancel to
 * near zero are judged against the output's scale, not their own tiny size.
 */
export function worstRelative(tfjs: number[][], numpy: unknown[]): number {
  let worst = 0;
  tfjs.forEach((values, o) => {
    const ref = (numpy[o] as unknown[]).flat(8) as number[];
    if (ref.length !== values.length) throw new Error(`Output ${o}: tfjs gave ${values.length} values, numpy ${ref.length}.`);
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

/** A Keras file imported and predicted with tfjs: its inputs, every output's values and the bundle summary. */
export interface Prediction {
  inputs: { shape: number[]; values: number[] }[];
  tfjs: number[][];
  summary: Record<string, unknown>;
}

/** Imports `path`, restores its bundle and predicts a batch of `batch` deterministic rows (token ids below `vocabulary`). */
export async function importAndPredict(path: string, batch: number, vocabulary?: number): Promise<Prediction> {
  const bundle = await kerasToBundle(readFileSync(path), { onWarning: () => {} });
  const model = await bundleToModel(encodeBundle(bundle));
  const inputs = model.inputs.map((t, i) => {
    const shape = [batch, ...(t.shape.slice(1) as number[])];
    return { shape, values: inputFor(shape, i + 1, vocabulary) };
  });
  const out = model.predict(inputs.map((x) => tf.tensor(x.values, x.shape))) as tf.Tensor | tf.Tensor[];
  const outs = Array.isArray(out) ? out : [out];
  const result = { inputs, tfjs: outs.map((t) => Array.from(t.dataSync())), summary: bundle.header.summary as Record<string, unknown> };
  tf.dispose(outs);
  model.dispose();
  return result;
}
