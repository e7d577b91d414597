import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readBundle } from '@modelbundle/core/node';
import * as tf from '@tensorflow/tfjs-core';
import { compare } from '../lib/compare.js';
import { modelStats } from '../lib/models.js';
import { createPaths } from '../lib/paths.js';

/** Largest absolute difference between two models' weights (0 when restored exactly). */
function weightDiff(a, b) {
  let worst = 0;
  a.weights.forEach((w, i) => {
    const x = w.read().dataSync();
    const y = b.weights[i].read().dataSync();
    for (let j = 0; j < x.length; j += Math.max(1, x.length >> 12)) worst = Math.max(worst, Math.abs(x[j] - y[j]));
  });
  return worst;
}

/**
 * Save and load side by side for one workload, plus the files' sizes and the
 * format's overhead over tfjs's own files and over the raw weight bytes.
 */
export async function saveLoad(name, model, { runs, warmup }) {
  const dir = await mkdtemp(join(tmpdir(), 'modelbundle-bench-'));
  try {
    const paths = createPaths(dir);
    const save = await compare(
      { ours: () => paths.save.ours(model), tfjs: () => paths.save.tfjs(model), floor: () => paths.save.floor(model) },
      { runs, warmup },
    );
    const loaded = await paths.load.ours();
    const diff = weightDiff(model, loaded);
    loaded.dispose();
    if (diff !== 0) throw new Error(`${name}: the loaded model's weights differ from the saved ones (max |diff| ${diff})`);
    const load = await compare(
      { ours: () => paths.load.ours(), tfjs: () => paths.load.tfjs(), floor: () => paths.load.floor() },
      { runs, warmup, after: (_, m) => m.dispose() },
    );
    const stats = modelStats(model);
    const size = async (p) => (await stat(p)).size;
    const bundleBytes = await size(paths.bundlePath);
    const tfjsBytes = (await size(paths.jsonPath)) + (await size(paths.binPath));
    const { header, sections } = await readBundle(paths.bundlePath, { verify: false });
    const topologyBytes = sections.get(header.payload.topology).byteLength;
    const overBytes = bundleBytes - stats.weightBytes - topologyBytes;
    const overTfjs = bundleBytes - tfjsBytes;
    const budget = 4096 + 64 * stats.tensors;
    return {
      workload: name,
      backend: tf.getBackend(),
      ...stats,
      save,
      load,
      size: {
        bundleBytes,
        tfjsBytes,
        rawBytes: stats.weightBytes,
        headerBytes: bundleBytes - [...sections.values()].reduce((a, s) => a + s.byteLength, 0),
        overheadOverRaw: overBytes,
        overheadOverTfjs: overTfjs,
        budget,
      },
      targets: {
        saveVsTfjs: { target: 0.9, value: save.ratio['ours/tfjs'].median, met: save.ratio['ours/tfjs'].median <= 0.9 },
        saveVsFloor: { target: 1.15, value: save.ratio['ours/floor'].median, met: save.ratio['ours/floor'].median <= 1.15 },
        loadVsTfjs: { target: 1.0, value: load.ratio['ours/tfjs'].median, met: load.ratio['ours/tfjs'].median <= 1.0 },
        loadVsFloor: { target: 1.15, value: load.ratio['ours/floor'].median, met: load.ratio['ours/floor'].median <= 1.15 },
        overhead: { target: budget, value: overTfjs, met: overTfjs <= budget },
      },
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
