import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRegistry, ErrorCodes } from '@modelbundle/core';
import { inspectFile, writeBundle } from '@modelbundle/core/node';
import { ensureBackend, tfjsPlugin } from '@modelbundle/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InvalidExpectation, loadVectors, type ValidExpectation } from '../vectors/vectors.js';
import { missingPythonDeps, runReader } from './python.js';

type VerifyResult = {
  file: string;
  ok: boolean;
  header?: unknown;
  headerDigest?: string;
  sections?: unknown;
  error?: { code: string; details: { region?: string } };
  inspectError?: string | null;
};

const valid = loadVectors<ValidExpectation>('valid');
const invalid = loadVectors<InvalidExpectation>('invalid');

describe('the Python reader (a second implementation of docs/FORMAT.md)', () => {
  let dir = '';
  beforeAll(async () => {
    const missing = missingPythonDeps();
    if (missing) throw new Error(missing);
    dir = await mkdtemp(join(tmpdir(), 'mbnd-python-'));
    await ensureBackend();
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('passes every conformance vector: same headers and digests, same error codes and regions', () => {
    const all = [...valid, ...invalid];
    const { json } = runReader(['verify', ...all.map((v) => v.path)]);
    const results = json as VerifyResult[];
    expect(results).toHaveLength(all.length);
    for (const [i, v] of valid.entries()) {
      const r = results[i] as VerifyResult;
      expect(r.error, v.name).toBeUndefined();
      expect(r.header, v.name).toEqual(v.expected.header);
      expect(r.headerDigest, v.name).toBe(v.expected.headerDigest);
      expect(r.sections, v.name).toEqual(v.expected.sections.map(({ name, sha256 }) => ({ name, sha256 })));
    }
    for (const [i, v] of invalid.entries()) {
      const r = results[valid.length + i] as VerifyResult;
      expect(r.ok, v.name).toBe(false);
      expect(r.error?.code, v.name).toBe(v.expected.error);
      if (v.expected.region) expect(r.error?.details.region, v.name).toBe(v.expected.region);
      if (v.expected.details) expect(r.error?.details, v.name).toMatchObject(v.expected.details);
      // Inspection stops after the header: it raises the same code, or nothing when only sections are bad.
      if (r.inspectError === null) expect(['MALFORMED', 'CORRUPT'], v.name).toContain(v.expected.error);
      else expect(r.inspectError, v.name).toBe(v.expected.error);
    }
  });

  it('exits with the CLI exit code of the error it raises', () => {
    for (const v of invalid.filter((_, i) => i % 10 === 0)) {
      const { status, json } = runReader(['sections', v.path]);
      const code = (json as { error: { code: keyof typeof ErrorCodes } }).error.code;
      expect(status, v.name).toBe(ErrorCodes[code].exit);
    }
  });

  it('inspects by reading only the prefix and the header, like inspectFile', async () => {
    const v = valid.find((x) => x.name === 'large-section');
    if (!v) throw new Error('vector large-section is missing');
    const { status, json } = runReader(['inspect', v.path]);
    expect(status).toBe(0);
    const js = await inspectFile(v.path);
    const py = json as { header: unknown; bytesRead: number; headerLength: number; fileLength: number; headerDigest: string };
    expect(py.header).toEqual(v.expected.header);
    expect(py.bytesRead).toBe(js.bytesRead);
    expect(py.bytesRead).toBeLessThan(v.bytes.length / 10);
    expect([py.headerLength, py.fileLength, py.headerDigest]).toEqual([js.headerLength, js.fileLength, js.headerDigest]);
  });

  it('lists sections with their absolute file offsets', () => {
    const v = valid.find((x) => x.name === 'worked-example');
    if (!v) throw new Error('vector worked-example is missing');
    const { json } = runReader(['sections', v.path]);
    expect(json).toEqual([
      { name: 'weights', offset: 0, fileOffset: 576, length: 8, sha256: v.expected.sections[0]?.sha256 },
      { name: 'bias', offset: 64, fileOffset: 640, length: 4, sha256: v.expected.sections[1]?.sha256 },
    ]);
  });

  it('reads every committed compatibility bundle, and predicts the dense tfjs one as it predicted when written', () => {
    const root = join(import.meta.dirname, '..', 'compat');
    const files = readdirSync(root)
      .filter((v) => /^\d+\.\d+\.\d+$/.test(v))
      .flatMap((v) =>
        readdirSync(join(root, v))
          .filter((f) => f.endsWith('.mbnd'))
          .map((f) => join(root, v, f)),
      );
    expect(files.length).toBeGreaterThan(0);
    const results = runReader(['verify', ...files]).json as VerifyResult[];
    for (const r of results) expect(r.error, r.file).toBeUndefined();
    const dense = join(root, '1.0.0', 'tfjs-sequential-dense');
    const expected = JSON.parse(readFileSync(`${dense}.json`, 'utf8')) as { rows: number[][]; predictions: { [output: string]: number[] }[] };
    const { json } = runReader(['predict', `${dense}.mbnd`], JSON.stringify(expected.rows));
    const predicted = json as number[][];
    for (const [r, row] of expected.predictions.entries()) {
      const values = Object.values(row)[0] as number[];
      for (const [c, value] of values.entries()) expect(Math.abs(value - (predicted[r]?.[c] as number))).toBeLessThan(1e-5);
    }
  });

  it('verifies Ed25519 signatures against trusted keys, refusing others with SIGNATURE_INVALID', async () => {
    const signed = valid.find((x) => x.name === 'signed');
    const unsigned = valid.find((x) => x.name === 'worked-example');
    if (!signed?.expected.publicKey || !unsigned) throw new Error('vectors signed and worked-example are missing');
    const key = signed.expected.publicKey;
    const ok = runReader(['signature', signed.path, '00'.repeat(32), key]);
    expect([ok.status, ok.json]).toEqual([0, { signed: true, publicKey: key }]);
    const wrong = `${key.slice(0, -2)}${key.endsWith('00') ? '01' : '00'}`;
    const forged = join(dir, 'forged-signature.mbnd');
    const bytes = signed.bytes.slice();
    bytes[64] = (bytes[64] as number) ^ 0x01;
    await writeFile(forged, bytes);
    for (const [file, keys] of [
      [signed.path, [wrong]],
      [unsigned.path, [key]],
      [forged, [key]],
    ] as const) {
      const { status, json } = runReader(['signature', file, ...keys]);
      expect((json as { error: { code: string } }).error.code, file).toBe('SIGNATURE_INVALID');
      expect(status).toBe(ErrorCodes.SIGNATURE_INVALID.exit);
    }
  });

  describe('tfjs bundles', () => {
    const activations = ['relu', 'tanh', 'sigmoid', 'elu', 'selu', 'softplus', 'softsign', 'relu6', 'linear', 'softmax'] as const;

    function denseModel(): tfl.Sequential {
      const layers: tfl.layers.Layer[] = [tfl.layers.dense({ units: 6, inputShape: [5], activation: activations[0] })];
      for (const activation of activations.slice(1, -1)) layers.push(tfl.layers.dense({ units: 6, activation }));
      layers.push(tfl.layers.dropout({ rate: 0.5 }), tfl.layers.dense({ units: 3, activation: 'softmax', useBias: false }));
      return tfl.sequential({ layers });
    }

    async function save(model: tfl.LayersModel, name: string): Promise<string> {
      const path = join(dir, name);
      await writeBundle(path, await createRegistry({ autoload: false }).registerPlugin(tfjsPlugin).bundle(model));
      return path;
    }

    it('reads every weight as a numpy array equal to the model’s own', async () => {
      const model = denseModel();
      const path = await save(model, 'dense-weights.mbnd');
      const { status, json } = runReader(['weights', path]);
      expect(status).toBe(0);
      const weights = json as { name: string; dtype: string; shape: number[]; values: number[] }[];
      expect(weights.map((w) => w.name)).toEqual(model.weights.map((w) => w.originalName));
      for (const [i, w] of model.getWeights().entries()) {
        expect(weights[i]?.dtype).toBe('float32');
        expect(weights[i]?.shape).toEqual(w.shape);
        expect(weights[i]?.values).toEqual(Array.from(w.dataSync()));
      }
      model.dispose();
    });

    it('predicts a dense sequential model with numpy within 1e-5 of tfjs', async () => {
      const model = denseModel();
      const path = await save(model, 'dense-predict.mbnd');
      const rows = Array.from({ length: 16 }, (_, r) => Array.from({ length: 5 }, (_, c) => Math.sin(r * 5 + c + 1) * 2));
      const expected = tf.tidy(() => (model.predict(tf.tensor2d(rows)) as tf.Tensor).arraySync()) as number[][];
      const { status, json, stderr } = runReader(['predict', path], JSON.stringify(rows));
      expect(status, stderr).toBe(0);
      const predicted = json as number[][];
      expect(predicted).toHaveLength(rows.length);
      let worst = 0;
      for (const [r, row] of expected.entries())
        for (const [c, value] of row.entries()) worst = Math.max(worst, Math.abs(value - (predicted[r]?.[c] as number)));
      expect(worst).toBeLessThan(1e-5);
      model.dispose();
    });

    it('refuses to predict with a layer it does not implement, naming it (UNKNOWN_CLASS)', async () => {
      const model = tfl.sequential({ layers: [tfl.layers.dense({ units: 4, inputShape: [3] }), tfl.layers.batchNormalization()] });
      const path = await save(model, 'batchnorm.mbnd');
      const { status, json } = runReader(['predict', path], '[[1, 2, 3]]');
      const error = (json as { error: { code: string; message: string } }).error;
      expect(error.code).toBe('UNKNOWN_CLASS');
      expect(error.message).toContain('BatchNormalization');
      expect(status).toBe(ErrorCodes.UNKNOWN_CLASS.exit);
      model.dispose();
    });
  });
});
