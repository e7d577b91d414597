import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeBundle, isModelBundleError } from '@modelbundle/core';
import { bundleToModel, ensureBackend, useBackend } from '@modelbundle/tfjs';
import { unzipSync, zipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { kerasToBundle, registerKerasLayers } from '../src/index.js';
import { FIXTURES, fixtureFiles, importAndPredict, missingOracleDeps, nest, oraclePredict, type Prediction, worstRelative } from './oracle.js';

const BATCH = 3;
/** Models whose input is token ids, with their vocabulary size. */
const TOKEN_INPUTS: Record<string, number> = { embedding: 12 };
/**
 * Models predicted on the cpu backend: tfjs-backend-wasm 4.22 computes their layers wrongly (its MaxPool3D starts
 * each window from FLT_MIN, its Conv3DBackpropInputV2 bounds the depth loop wrongly), whatever the import does.
 */
const CPU_MODELS = new Set(['volumes']);

type Result = Prediction & { file: string };
const results = new Map<string, Result>();
let oracle: unknown[][] = [];
const missing = missingOracleDeps();
let backend = '';
/** volumes.keras as the default backend predicts it (where that is wasm). */
let wasmVolumes: number[][] | undefined;

async function predictFile(file: string): Promise<Result> {
  return { file, ...(await importAndPredict(join(FIXTURES, file), BATCH, TOKEN_INPUTS[file.split('.')[0] as string])) };
}

beforeAll(async () => {
  backend = await ensureBackend();
  registerKerasLayers();
  if (backend === 'wasm') wasmVolumes = (await predictFile('volumes.keras')).tfjs;
  for (const file of fixtureFiles()) {
    await useBackend(CPU_MODELS.has(file.split('.')[0] as string) ? 'cpu' : backend);
    results.set(file, await predictFile(file));
  }
  await useBackend(backend);
  if (!missing)
    oracle = oraclePredict([...results.values()].map((r) => ({ file: join(FIXTURES, r.file), inputs: r.inputs.map((x) => nest(x.values, x.shape)) })));
}, 120_000);

describe.skipIf(missing !== null)('imported Keras models predict what the numpy oracle computes', () => {
  it.each(fixtureFiles())('%s', (file) => {
    const result = results.get(file) as Result;
    const index = [...results.keys()].indexOf(file);
    expect(worstRelative(result.tfjs, oracle[index] as unknown[])).toBeLessThan(1e-5);
  });
});

describe('same-model pairs', () => {
  it.each(['mlp', 'cnn', 'conv1d', 'rnn', 'wrappers', 'embedding', 'functional', 'activations', 'shapes', 'shared', 'image_ops', 'volumes', 'misc_ops'])(
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

/** A fixture .keras zip with its config.json rewritten by `edit`. */
function editedKeras(file: string, edit: (layers: { class_name: string; config: Record<string, unknown> }[]) => void): Uint8Array {
  const files = unzipSync(new Uint8Array(readFileSync(join(FIXTURES, file))));
  const config = JSON.parse(new TextDecoder().decode(files['config.json']));
  edit(config.config.layers);
  return zipSync({ ...files, 'config.json': new TextEncoder().encode(JSON.stringify(config)) });
}

function named(layers: { config: Record<string, unknown> }[], name: string): Record<string, unknown> {
  return (layers.find((l) => l.config.name === name) as { config: Record<string, unknown> }).config;
}

async function refusal(bytes: Uint8Array): Promise<string> {
  try {
    await kerasToBundle(bytes, { onWarning: () => {} });
  } catch (error) {
    if (isModelBundleError(error) && error.code === 'UNKNOWN_CLASS') return error.message;
    throw error;
  }
  throw new Error('the import was expected to be refused');
}

describe('layers tfjs computes differently are translated exactly or refused', () => {
  it('CenterCrop becomes a Cropping2D at Keras offsets (misc_ops crops 9x8 to 6x7 from column 0, where tfjs starts at 1)', async () => {
    const bundle = await kerasToBundle(readFileSync(join(FIXTURES, 'misc_ops.keras')), { onWarning: () => {} });
    const model = await bundleToModel(encodeBundle(bundle));
    const crop = model.getLayer('crop');
    expect(crop.getClassName()).toBe('Cropping2D');
    expect(crop.getConfig().cropping).toEqual([
      [1, 2],
      [0, 1],
    ]);
    model.dispose();
  });

  it('CenterCrop is refused where its input is smaller than the target (Keras resizes), unknown, or channels_first', async () => {
    expect(await refusal(editedKeras('misc_ops.keras', (l) => Object.assign(named(l, 'crop'), { height: 10 })))).toMatch(
      /"crop" \(CenterCrop\).*9x8\) is smaller than its target \(10x7\).*smart_resize/,
    );
    expect(await refusal(editedKeras('misc_ops.keras', (l) => Object.assign(named(l, 'img'), { batch_shape: [null, null, null, 2] })))).toMatch(
      /"crop" \(CenterCrop\).*height and width are not fixed.*Cropping2D/,
    );
    expect(await refusal(editedKeras('misc_ops.keras', (l) => Object.assign(named(l, 'crop'), { data_format: 'channels_first' })))).toMatch(
      /"crop" \(CenterCrop\).*channels_first/,
    );
  });

  it('3D padding="same" with a window smaller than the stride becomes "valid" where nothing is padded, else is refused', async () => {
    // t_same with strides [1, 2, 1] and kernel [3, 1, 2]: one axis pads nothing, the others pad: no exact tfjs padding.
    const mixed = editedKeras('volumes.keras', (l) => Object.assign(named(l, 't_same'), { kernel_size: [3, 1, 2], strides: [1, 2, 1], output_padding: null }));
    expect(await refusal(mixed)).toMatch(/"t_same" \(Conv3DTranspose\).*padding="same" with a kernel smaller than its stride/);
    // c1 behind c0 has no input size the translation can follow (no build_config): a stride above its kernel is refused.
    const unknown = editedKeras('volumes.keras', (l) => Object.assign(named(l, 'c1'), { strides: [4, 1, 2] }));
    expect(await refusal(unknown)).toMatch(/"c1" \(Conv3D\).*padding="same" with a kernel smaller than its stride/);
    const pool = editedKeras('volumes.keras', (l) => Object.assign(named(l, 'max3d'), { pool_size: [1, 2, 2], strides: [2, 2, 1] }));
    expect(await refusal(pool)).toMatch(/"max3d" \(MaxPooling3D\).*pool smaller than its stride/);
  });

  it('transposed convolutions: an output_padding that changes the size and dilation are refused (tfjs ignores both)', async () => {
    const padded = editedKeras('volumes.keras', (l) => Object.assign(named(l, 't_same'), { output_padding: [0, 0, 0] }));
    expect(await refusal(padded)).toMatch(/"t_same" \(Conv3DTranspose\).*output_padding=\[0,0,0\] gives a different output size/);
    const dilated = editedKeras('image_ops.keras', (l) => Object.assign(named(l, 'deconv_valid'), { dilation_rate: [2, 2] }));
    expect(await refusal(dilated)).toMatch(/"deconv_valid" \(Conv2DTranspose\).*dilation_rate=\[2,2\]/);
  });

  it('GlobalAveragePooling1D behind a timestep mask is refused (Keras averages only the unmasked steps, tfjs all)', async () => {
    // embedding: Embedding -> LayerNormalization (passes the mask on) -> GlobalAveragePooling1D.
    const embedding = editedKeras('embedding.keras', (l) => Object.assign(named(l, 'embed'), { mask_zero: true }));
    expect(await refusal(embedding)).toMatch(/"gap" \(GlobalAveragePooling1D\).*mask.*averages only the unmasked timesteps/);
    // misc_ops: Masking -> ... -> LSTM(return_sequences) -> a GlobalAveragePooling1D in place of the GRU.
    const pooled = editedKeras('misc_ops.keras', (l) =>
      Object.assign(l.find((x) => x.config.name === 'gru') as object, {
        class_name: 'GlobalAveragePooling1D',
        config: { name: 'gru', data_format: 'channels_last', keepdims: false },
      }),
    );
    expect(await refusal(pooled)).toMatch(/"gru" \(GlobalAveragePooling1D\)/);
    // Without a mask it imports (the embedding fixture as it is).
    await expect(kerasToBundle(readFileSync(join(FIXTURES, 'embedding.keras')), { onWarning: () => {} })).resolves.toBeDefined();
  });

  it.skipIf(missing !== null)('tfjs-backend-wasm still gets volumes wrong (drop it from CPU_MODELS once this fails)', () => {
    if (!wasmVolumes) return;
    expect(worstRelative(wasmVolumes, oracle[[...results.keys()].indexOf('volumes.keras')] as unknown[])).toBeGreaterThan(0.1);
  });
});
