// One save in a fresh process, for a clean peak-RSS reading:
//   node save-rss.js <workload|scale> <ours|tfjs|floor> <dir> <backend>
// Prints JSON: RSS before saving (model built, after GC), peak RSS, time.
import { useBackend } from '@modelbundle/tfjs';
import { gc } from '../lib/compare.js';
import { modelStats, rssModel, scaleModel } from '../lib/models.js';
import { createPaths } from '../lib/paths.js';

const [workload, contender, dir, backend = 'cpu'] = process.argv.slice(2);
await useBackend(backend);
const model = workload === 'scale' ? scaleModel() : rssModel(workload);
gc();
const before = process.memoryUsage().rss;
const start = performance.now();
let error;
try {
  await createPaths(dir).save[contender](model);
} catch (e) {
  error = `${e.name}: ${e.message}`.slice(0, 300);
}
const ms = performance.now() - start;
const peak = process.resourceUsage().maxRSS * 1024;
console.log(JSON.stringify({ workload, contender, ...modelStats(model), rssBefore: before, peakRss: peak, ms, ...(error ? { error } : {}) }));
