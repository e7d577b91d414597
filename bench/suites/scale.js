import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { inspectFile } from '@modelbundle/core/node';
import { saveInChild } from './rss.js';

const run = promisify(execFile);
const loadChild = fileURLToPath(new URL('../children/scale-load.js', import.meta.url));
const floorChild = fileURLToPath(new URL('../children/scale-load-floor.js', import.meta.url));
const checkChild = fileURLToPath(new URL('../children/scale-check.js', import.meta.url));

/**
 * The > 4 GiB test, each step alone in a fresh process: save with ours, with
 * tfjs's own path (expected to fail: it joins all weights into one buffer)
 * and the floor; inspect the bundle; check every digest (as `verify` does);
 * load it back, and the floor's raw bytes with tfjs's fastest route, and
 * check the weights.
 * Temp files are removed at the end, whatever happens.
 */
export async function scaleSuite({ backend }) {
  const dir = await mkdtemp(join(tmpdir(), 'modelbundle-bench-scale-'));
  const out = {};
  try {
    for (const contender of ['tfjs', 'floor', 'ours']) {
      out[`save_${contender}`] = await saveInChild('scale', contender, backend, dir);
      if (contender === 'tfjs') await rm(join(dir, 'weights.bin'), { force: true });
    }
    const bundlePath = join(dir, 'model.mbnd');
    out.bundleBytes = (await stat(bundlePath)).size;
    const t = performance.now();
    const inspection = await inspectFile(bundlePath);
    out.inspect = { ms: Number((performance.now() - t).toFixed(3)), bytesRead: inspection.bytesRead };
    out.check = await child(checkChild, [bundlePath]);
    const metaPath = join(dir, 'floor-meta.json'); // written by the floor's save
    // Each load in a fresh process; both files were just written, so both are read from the page cache.
    out.load_floor = await child(floorChild, [join(dir, 'raw.bin'), metaPath, backend]);
    out.load_ours = await child(loadChild, [bundlePath, backend]);
    out.load_ours.vsFloor = Number((out.load_ours.ms / out.load_floor.ms).toFixed(3));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return out;
}

async function child(script, args) {
  const { stdout } = await run(process.execPath, [script, ...args], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split('\n').at(-1));
}
