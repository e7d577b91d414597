// One save in a fresh process, for a clean peak-RSS reading:
//   node save-rss.js <workload|scale> <ours|tfjs|floor> <dir> <backend>
// Prints JSON: RSS before saving (model built, after GC), peak RSS, time.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useBackend } from '@modelbundle/tfjs';
import { gc } from '../lib/compare.js';
import { modelStats, rssModel, scaleModel } from '../lib/models.js';
import { createPaths } from '../lib/paths.js';

const [workload, contender, dir, backend = 'cpu'] = process.argv.slice(2);
await useBackend(backend);
const model = workload === 'scale' ? scaleModel() : rssModel(workload);
gc();
// Linux: writing 5 to clear_refs resets the peak-RSS mark (VmHWM), so the
// peak read afterwards belongs to the save alone, not to start-up or building.
let resetPeak = true;
try {
  writeFileSync('/proc/self/clear_refs', '5');
} catch {
  resetPeak = false;
}
const before = process.memoryUsage().rss;
const start = performance.now();
let error;
try {
  await createPaths(dir).save[contender](model);
} catch (e) {
  error = `${e.name}: ${e.message}`.slice(0, 300);
}
const ms = performance.now() - start;
const hwm = resetPeak ? /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8')) : null;
const peak = hwm ? Number(hwm[1]) * 1024 : process.resourceUsage().maxRSS * 1024;
// The load floor reads raw.bin back with the topology and specs kept aside (no metadata I/O of its own).
if (contender === 'floor') {
  const weightSpecs = model.weights.map((w) => ({ name: w.originalName, shape: w.shape, dtype: w.dtype }));
  writeFileSync(join(dir, 'floor-meta.json'), JSON.stringify({ modelTopology: model.toJSON(null, false), weightSpecs }));
}
console.log(
  JSON.stringify({
    workload,
    contender,
    ...modelStats(model),
    rssBefore: before,
    peakRss: peak,
    peakSource: hwm ? 'VmHWM after reset' : 'maxRSS',
    ms,
    ...(error ? { error } : {}),
  }),
);
