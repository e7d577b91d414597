import { readFileSync, readdirSync } from 'node:fs';
import { kerasToBundle, registerKerasLayers } from './dist/index.js';
import { modelFromBytes, useBackend } from '@modelbundle/tfjs';
import { encodeBundle } from '@modelbundle/core';
import * as tf from '@tensorflow/tfjs-core';
const dir = '../../test/fixtures/keras/';
for (const f of readdirSync(dir).filter(f => /\.(keras|h5)$/.test(f))) {
  try {
    const b = await kerasToBundle(readFileSync(dir + f), { created: '2024-01-01T00:00:00Z' });
    registerKerasLayers();
    const m = await modelFromBytes(encodeBundle(b));
    console.log('OK', f, b.header?.kind ?? b.kind, JSON.stringify(b.header?.summary?.keras ?? b.summary?.keras));
    m.dispose();
  } catch (e) { console.log('FAIL', f, e.code, e.message.slice(0, 400)); }
}
