import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeBundle } from '@modelbundle/core/node';
import { kerasToBundle } from '@modelbundle/keras';
import { pairedRatio, summary } from '../lib/stats.js';

const PYTHON = process.env.MODELBUNDLE_PYTHON ?? '/usr/bin/python3';
const WRITER = new URL('../../test/fixtures/keras/write_fixtures.py', import.meta.url).pathname;

/**
 * Importing a large .keras file (kerasToBundle: zip, HDF5, translation, the
 * guarded check build, digests) against the floor of reading the same file's
 * bytes and writing the resulting bundle. Runs are paired (both measured in
 * the same iteration), reported as the median ratio import/floor.
 */
export async function kerasSuite({ quick, runs, warmup = 1 }) {
  const mib = quick ? 8 : 100;
  const dir = await mkdtemp(join(tmpdir(), 'modelbundle-bench-keras-'));
  try {
    const file = join(dir, 'big.keras');
    const made = spawnSync(PYTHON, ['-B', WRITER, '--big', file, String(mib)], { encoding: 'utf8' });
    if (made.status !== 0) return { skipped: `${PYTHON} could not write the .keras file (needs numpy and h5py): ${made.stderr.trim()}` };
    const bundle = await kerasToBundle(await readFile(file));
    const floor = [];
    const imported = [];
    for (let i = -warmup; i < runs; i++) {
      let start = performance.now();
      await readFile(file);
      await writeBundle(join(dir, 'floor.mbnd'), bundle);
      const f = performance.now() - start;
      start = performance.now();
      await writeBundle(join(dir, 'import.mbnd'), await kerasToBundle(await readFile(file)));
      const t = performance.now() - start;
      if (i >= 0) {
        floor.push(f);
        imported.push(t);
      }
    }
    const fileBytes = (await readFile(file)).byteLength;
    return { fileBytes, floorMs: summary(floor), importMs: summary(imported), ratio: pairedRatio(imported, floor), target: 2 };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
