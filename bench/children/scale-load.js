// Loads the scale test's bundle in a fresh process and checks the weights:
//   node scale-load.js <bundle path> <backend>
import { useBackend } from '@modelbundle/tfjs';
import { loadModel } from '@modelbundle/tfjs/node';
import { modelStats } from '../lib/models.js';

const [path, backend = 'cpu'] = process.argv.slice(2);
await useBackend(backend);
const start = performance.now();
let error;
let stats;
let ok = false;
try {
  const model = await loadModel(path);
  const ms = performance.now() - start;
  stats = { ...modelStats(model), ms };
  // The scale model's kernels are all ones and its biases all zeros.
  ok = model.weights.every((w) => {
    const v = w.read().dataSync();
    const expected = w.originalName.endsWith('kernel') ? 1 : 0;
    return v[0] === expected && v[v.length - 1] === expected && v[v.length >> 1] === expected;
  });
} catch (e) {
  error = `${e.name}: ${e.message}`.slice(0, 400);
}
console.log(JSON.stringify({ ...stats, weightsChecked: ok, peakRss: process.resourceUsage().maxRSS * 1024, ...(error ? { error } : {}) }));
