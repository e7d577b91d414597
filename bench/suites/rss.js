import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const child = fileURLToPath(new URL('../children/save-rss.js', import.meta.url));
const loadChild = fileURLToPath(new URL('../children/load-rss.js', import.meta.url));
const run = promisify(execFile);

/** Runs one save in a child process and returns its memory record. */
export async function saveInChild(workload, contender, backend, keepIn) {
  const dir = keepIn ?? (await mkdtemp(join(tmpdir(), 'modelbundle-bench-')));
  try {
    const { stdout } = await run(process.execPath, [child, workload, contender, dir, backend], { maxBuffer: 1 << 20 });
    const r = JSON.parse(stdout.trim().split('\n').at(-1));
    const allowed = r.rssBefore + 1.3 * r.largestTensorBytes;
    return {
      ...r,
      extraOverBefore: r.peakRss - r.rssBefore,
      extraInLargestTensors: Number(((r.peakRss - r.rssBefore) / r.largestTensorBytes).toFixed(2)),
      target: { allowed, met: r.peakRss <= allowed },
    };
  } finally {
    if (!keepIn) await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Peak RSS while saving, each save alone in a fresh process: the model is
 * built (constant initializer, so building leaves no larger peak behind),
 * then saved once. Target: peak <= RSS with the model built + 1.3x its largest tensor.
 */
export async function rssSuite({ quick, backend }) {
  const rows = [];
  for (const workload of quick ? ['mlp-10m'] : ['mlp-10m', 'mlp-100m']) {
    for (const contender of ['ours', 'tfjs', 'floor']) rows.push(await saveInChild(workload, contender, backend));
  }
  return rows;
}

/**
 * Peak RSS while loading, each load alone in a fresh process, from files
 * written by a save in another one. "Extra" is the peak above the RSS
 * before loading and above the weights themselves (the loaded model):
 * target <= 1.1x the largest tensor, i.e. no second copy of the weights.
 */
export async function loadRssSuite({ quick, backend }) {
  const rows = [];
  for (const workload of quick ? ['mlp-10m'] : ['mlp-10m', 'mlp-100m']) {
    const dir = await mkdtemp(join(tmpdir(), 'modelbundle-bench-'));
    try {
      await saveInChild(workload, 'ours', backend, dir);
      await saveInChild(workload, 'tfjs', backend, dir);
      for (const contender of ['ours', 'tfjs']) {
        const { stdout } = await run(process.execPath, [loadChild, contender, dir, backend], { maxBuffer: 1 << 20 });
        const r = JSON.parse(stdout.trim().split('\n').at(-1));
        const extra = r.peakRss - r.rssBefore - (r.weightBytes ?? 0);
        rows.push({
          workload,
          ...r,
          extraOverModel: extra,
          extraInLargestTensors: Number((extra / r.largestTensorBytes).toFixed(2)),
          target: { allowed: 1.1 * r.largestTensorBytes, met: !r.error && extra <= 1.1 * r.largestTensorBytes },
        });
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  return rows;
}
