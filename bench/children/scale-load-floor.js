// The floor of loading the scale test's model, in a fresh process: the raw weight bytes
// read (one buffer per tensor: no typed array holds 4.5 GiB), then tfjs's fastest public
// route builds the model and sets its weights (fromMemory, topology already in memory):
//   node scale-load-floor.js <raw.bin> <meta.json> <backend>
import { open, readFile } from 'node:fs/promises';
import { useBackend } from '@modelbundle/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { modelStats } from '../lib/models.js';

const [rawPath, metaPath, backend = 'cpu'] = process.argv.slice(2);
await useBackend(backend);
const { modelTopology, weightSpecs } = JSON.parse(await readFile(metaPath, 'utf8'));
const start = performance.now();
const handle = await open(rawPath, 'r');
const weightData = [];
let position = 0;
for (const spec of weightSpecs) {
  const bytes = spec.shape.reduce((a, b) => a * b, 1) * 4;
  const buffer = Buffer.allocUnsafeSlow(bytes);
  for (let done = 0; done < bytes; ) {
    const { bytesRead } = await handle.read(buffer, done, Math.min(bytes - done, 0x7fff0000), position + done);
    if (bytesRead === 0) throw new Error(`${rawPath} ends early`);
    done += bytesRead;
  }
  position += bytes;
  weightData.push(buffer.buffer);
}
await handle.close();
const model = await tfl.loadLayersModel(tf.io.fromMemory({ modelTopology, weightSpecs, weightData }));
const ms = performance.now() - start;
const ok = model.weights.every((w) => {
  const v = w.read().dataSync();
  const expected = w.originalName.endsWith('kernel') ? 1 : 0;
  return v[0] === expected && v[v.length - 1] === expected && v[v.length >> 1] === expected;
});
console.log(JSON.stringify({ ...modelStats(model), ms, weightsChecked: ok, peakRss: process.resourceUsage().maxRSS * 1024 }));
