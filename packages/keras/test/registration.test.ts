import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeBundle } from '@modelbundle/core';
import { describe, expect, it } from 'vitest';
import { KERAS_CLASS_NAMES, kerasToBundle } from '../src/index.js';
import { FIXTURES } from './oracle.js';

// Nothing registers on import: a fresh process restoring a bundle with KerasGRU must be told to call registerKerasLayers().
const RESTORE = `
import { readFileSync } from 'node:fs';
import { bundleToModel } from '@modelbundle/tfjs';
import * as tf from '@tensorflow/tfjs-core';
const keras = await import('@modelbundle/keras');
const bytes = new Uint8Array(readFileSync(process.argv[1]));
const registered = () => ${JSON.stringify(KERAS_CLASS_NAMES)}.filter((n) => n in tf.serialization.SerializationMap.getMap().classNameMap);
console.log(JSON.stringify({ afterImport: registered() }));
try { await bundleToModel(bytes); } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }
keras.registerKerasLayers();
const model = await bundleToModel(bytes);
console.log(JSON.stringify({ restored: model.layers.map((l) => l.getClassName()) }));
`;

describe('registration is explicit', () => {
  it('importing @modelbundle/keras registers nothing; restoring says to call registerKerasLayers(), which fixes it', async () => {
    const bundle = await kerasToBundle(readFileSync(join(FIXTURES, 'rnn.keras')));
    const dir = new URL('.', import.meta.url).pathname;
    const file = join(dir, '.cache', `rnn-${process.pid}.mbnd`);
    const { mkdirSync, writeFileSync, rmSync } = await import('node:fs');
    mkdirSync(join(dir, '.cache'), { recursive: true });
    writeFileSync(file, encodeBundle(bundle));
    try {
      const result = spawnSync(process.execPath, ['--input-type=module', '-e', RESTORE, file], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
      const lines = result.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(lines[0]).toEqual({ afterImport: [] });
      expect(lines[1].code).toBe('UNKNOWN_CLASS');
      expect(lines[1].message).toContain('"KerasGRU"');
      expect(lines[1].message).toContain('registerKerasLayers()');
      expect(lines[2].restored).toContain('KerasGRU');
    } finally {
      rmSync(file, { force: true });
    }
  }, 120_000);
});
