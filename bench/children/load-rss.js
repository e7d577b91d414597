// One load in a fresh process, for a clean peak-RSS reading:
//   node load-rss.js <ours|tfjs> <dir> <backend>
// The files were written beforehand (by save-rss.js). Prints JSON: RSS
// before loading (backend ready, after GC), peak RSS, time, weight sizes.
import { readFileSync, writeFileSync } from 'node:fs';
import { useBackend } from '@modelbundle/tfjs';
import { gc } from '../lib/compare.js';
import { modelStats } from '../lib/models.js';
import { createPaths } from '../lib/paths.js';

const [contender, dir, backend = 'cpu'] = process.argv.slice(2);
await useBackend(backend);
gc();
let resetPeak = true;
try {
  writeFileSync('/proc/self/clear_refs', '5'); // resets the peak-RSS mark (VmHWM): the peak read below is the load's
} catch {
  resetPeak = false;
}
const before = process.memoryUsage().rss;
const start = performance.now();
let error;
let model;
try {
  model = await createPaths(dir).load[contender]();
} catch (e) {
  error = `${e.name}: ${e.message}`.slice(0, 300);
}
const ms = performance.now() - start;
const hwm = resetPeak ? /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8')) : null;
const peak = hwm ? Number(hwm[1]) * 1024 : process.resourceUsage().maxRSS * 1024;
console.log(JSON.stringify({ contender, ...(model ? modelStats(model) : {}), rssBefore: before, peakRss: peak, ms, ...(error ? { error } : {}) }));
