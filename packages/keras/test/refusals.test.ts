import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isModelBundleError } from '@modelbundle/core';
import { unzipSync, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { kerasToBundle } from '../src/index.js';
import { FIXTURES } from './oracle.js';

const mlp = new Uint8Array(readFileSync(join(FIXTURES, 'mlp.keras')));
const mlpH5 = new Uint8Array(readFileSync(join(FIXTURES, 'mlp.h5')));

/** The mlp.keras zip with its config.json rewritten by `edit`. */
function withConfig(edit: (config: { config: { layers: Record<string, unknown>[] } } & Record<string, unknown>) => void): Uint8Array {
  const files = unzipSync(mlp);
  const config = JSON.parse(new TextDecoder().decode(files['config.json']));
  edit(config);
  return zipSync({ ...files, 'config.json': new TextEncoder().encode(JSON.stringify(config)) });
}

async function refusal(bytes: Uint8Array, options = {}): Promise<{ code: string; message: string }> {
  try {
    await kerasToBundle(bytes, options);
  } catch (error) {
    if (!isModelBundleError(error)) throw error;
    return { code: error.code, message: error.message };
  }
  throw new Error('the import was expected to fail');
}

const lambda = (className: string) => ({
  module: 'keras.layers',
  class_name: className,
  config: { name: 'code', function: ['4wEAAAAAAAAA', null, null] },
  registered_name: null,
});

describe('refusals name what was found and what to do', () => {
  it.each(['Lambda', 'TFOpLambda'])('%s layers are refused, never run', async (className) => {
    const { code, message } = await refusal(withConfig((c) => c.config.layers.splice(2, 0, lambda(className))));
    expect(code).toBe('UNKNOWN_CLASS');
    expect(message).toContain(`"code" (${className})`);
    expect(message).toMatch(/never runs code/);
  });

  it('a subclassed model is refused, naming its class', async () => {
    const { code, message } = await refusal(withConfig((c) => Object.assign(c, { class_name: 'MyModel', module: '__main__', registered_name: 'MyModel' })));
    expect(code).toBe('UNKNOWN_CLASS');
    expect(message).toContain('"MyModel"');
    expect(message).toMatch(/subclassed/);
  });

  it('an unregistered custom layer is refused, naming its registration and how to register a tfjs class', async () => {
    const custom = { module: 'my_package', class_name: 'Scaler', config: { name: 'scale', factor: 2 }, registered_name: 'my_package>Scaler' };
    const { code, message } = await refusal(withConfig((c) => c.config.layers.splice(2, 0, custom)));
    expect(code).toBe('UNKNOWN_CLASS');
    expect(message).toContain('"my_package>Scaler"');
    expect(message).toContain('tf.serialization.registerClass');
  });

  it('RandomCrop is refused (not an identity at inference), pointing at CenterCrop', async () => {
    const crop = { module: 'keras.layers', class_name: 'RandomCrop', config: { name: 'crop', height: 2, width: 2 }, registered_name: null };
    const { code, message } = await refusal(withConfig((c) => c.config.layers.splice(1, 0, crop)));
    expect(code).toBe('UNKNOWN_CLASS');
    expect(message).toContain('CenterCrop');
  });

  it('a layer option tfjs lacks is refused with the alternative (ELU alpha)', async () => {
    const elu = { module: 'keras.layers', class_name: 'ELU', config: { name: 'elu', alpha: 0.5 }, registered_name: null };
    const { code, message } = await refusal(withConfig((c) => c.config.layers.splice(2, 0, elu)));
    expect(code).toBe('UNKNOWN_CLASS');
    expect(message).toMatch(/alpha=0.5.*alpha=1/);
  });

  it('a Git LFS pointer says to fetch the real file', async () => {
    const pointer = new TextEncoder().encode('version https://git-lfs.github.com/spec/v1\noid sha256:4d7a2146\nsize 12345\n');
    const { code, message } = await refusal(pointer);
    expect(code).toBe('MALFORMED');
    expect(message).toContain('git lfs pull');
  });

  it.each([
    ['an empty file', new Uint8Array(0)],
    ['a truncated .keras zip', mlp.subarray(0, mlp.byteLength >> 1)],
    ['a truncated .h5 file', mlpH5.subarray(0, mlpH5.byteLength >> 1)],
    ['an .h5 cut to its signature', mlpH5.subarray(0, 16)],
    ['a zip without config.json', zipSync({ 'other.txt': new Uint8Array(4) })],
  ])('%s is MALFORMED', async (_what, bytes) => {
    expect((await refusal(bytes)).code).toBe('MALFORMED');
  });

  it('weights whose shape contradicts the topology name the layer and both shapes', async () => {
    const { code, message } = await refusal(withConfig((c) => Object.assign((c.config.layers[1] as { config: Record<string, unknown> }).config, { units: 9 })));
    expect(code).toBe('MALFORMED');
    expect(message).toContain('layer "hidden"');
    expect(message).toContain('[4, 8]');
    expect(message).toContain('[4, 9]');
  });

  it('a Bidirectional layer whose units contradict its weights is refused before tfjs builds it (its initializers run unguarded)', async () => {
    const files = unzipSync(new Uint8Array(readFileSync(join(FIXTURES, 'wrappers.keras'))));
    const config = JSON.parse(new TextDecoder().decode(files['config.json']));
    config.config.layers[1].config.layer.config.units = 100_000;
    const bytes = zipSync({ ...files, 'config.json': new TextEncoder().encode(JSON.stringify(config)) });
    const { code, message } = await refusal(bytes);
    expect(code).toBe('MALFORMED');
    expect(message).toContain('"bi/forward_lstm/recurrent_kernel"');
    expect(message).toContain('[100000, 400000]');
  });

  it('missing weights name the layer', async () => {
    const extra = {
      module: 'keras.layers',
      class_name: 'Dense',
      config: { name: 'extra', units: 2, activation: 'linear', use_bias: true },
      registered_name: null,
    };
    const { code, message } = await refusal(withConfig((c) => c.config.layers.push(extra)));
    expect(code).toBe('MALFORMED');
    expect(message).toContain('"extra"');
  });

  it('NaN or infinite weights load with a warning naming each tensor', async () => {
    const warnings: string[] = [];
    await kerasToBundle(readFileSync(join(FIXTURES, 'special', 'mlp.nonfinite.keras')), { onWarning: (m) => warnings.push(m) });
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain('"hidden/bias"');
    expect(warnings[1]).toContain('"scores/kernel"');
  });

  it('layers the wasm backend computes wrongly (MaxPooling3D, Conv3DTranspose) import with a warning that says to predict on cpu', async () => {
    const warnings: string[] = [];
    await kerasToBundle(readFileSync(join(FIXTURES, 'volumes.keras')), { onWarning: (m) => warnings.push(m) });
    expect(warnings.map((w) => w.split(':')[0]).sort()).toEqual(['Conv3DTranspose', 'MaxPooling3D']);
    for (const w of warnings) expect(w).toContain('MODELBUNDLE_TFJS_BACKEND=cpu');
    const quiet: string[] = [];
    await kerasToBundle(readFileSync(join(FIXTURES, 'cnn.keras')), { onWarning: (m) => quiet.push(m) });
    expect(quiet).toEqual([]);
  });
});

describe('hostile zips are bounded', () => {
  it('a zip bomb (an entry expanding past the ratio bound) is refused before it is inflated', async () => {
    const bomb = zipSync({ 'config.json': new Uint8Array(16 * 1024 * 1024) }, { level: 9 });
    const { code, message } = await refusal(bomb);
    expect(code).toBe('LIMIT_EXCEEDED');
    expect(message).toMatch(/zip bomb/);
  });

  it('the decompressed-size limit holds', async () => {
    expect((await refusal(mlp, { limits: { maxDecompressedBytes: 1000 } })).code).toBe('LIMIT_EXCEEDED');
  });

  it('the entry-count limit holds', async () => {
    const many = zipSync(Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`f${i}`, new Uint8Array(1)])));
    expect((await refusal(many, { limits: { maxZipEntries: 10 } })).code).toBe('LIMIT_EXCEEDED');
  });

  it('an entry whose declared size lies is caught by its length and CRC check', async () => {
    const files = unzipSync(mlp);
    const zip = zipSync({ 'config.json': files['config.json'] as Uint8Array }, { level: 6 });
    const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
    // The central directory entry's uncompressed size (offset 24 into it): claim 10 bytes more.
    let central = zip.byteLength - 46;
    while (view.getUint32(central, true) !== 0x02014b50) central--;
    view.setUint32(central + 24, view.getUint32(central + 24, true) + 10, true);
    expect((await refusal(zip)).code).toBe('MALFORMED');
  });

  it('config.json nested past the depth bound is LIMIT_EXCEEDED', async () => {
    let deep: unknown = 1;
    for (let i = 0; i < 200; i++) deep = [deep];
    const zip = zipSync({ 'config.json': new TextEncoder().encode(JSON.stringify({ class_name: 'Sequential', config: { layers: [], deep } })) });
    expect((await refusal(zip)).code).toBe('LIMIT_EXCEEDED');
  });
});
