// Checks every digest of the scale test's bundle in a fresh process, as `modelbundle verify` does:
//   node scale-check.js <bundle path>
import { checkFile } from '@modelbundle/core/node';

const [path] = process.argv.slice(2);
const rssBefore = process.memoryUsage().rss;
const start = performance.now();
let error;
let sections;
try {
  ({ sections } = await checkFile(path));
} catch (e) {
  error = `${e.name}: ${e.message}`.slice(0, 400);
}
const ms = performance.now() - start;
const intact = sections?.every((s) => s.ok) ?? false;
console.log(JSON.stringify({ ms, intact, sections: sections?.length, rssBefore, peakRss: process.resourceUsage().maxRSS * 1024, ...(error ? { error } : {}) }));
