#!/usr/bin/env node
// Where the time of one save and one load goes, step by step, for each
// workload: see docs/PERFORMANCE.md, "Where the time goes".
//   node bench/profile.js [--backend=cpu|wasm] [--workloads=mlp-1m,lstm] [--runs=N]
// Each step is timed on its own (median of N runs, GC before each), so the
// steps are the parts of a pipeline, not a second benchmark: the sum can
// differ from the end-to-end time, which bench/run.js measures side by side.
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readBundle, writeBundle } from '@modelbundle/core/node';
import { modelFromBytes, modelToBundle, useBackend } from '@modelbundle/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { gc } from './lib/compare.js';
import { machine } from './lib/machine.js';
import { WORKLOADS } from './lib/models.js';
import { createPaths } from './lib/paths.js';
import { median } from './lib/stats.js';

const args = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, '').split('=');
    return [k, v ?? true];
  }),
);
const runs = Number(args.runs ?? 5);
const backend = String(args.backend ?? 'cpu');
await useBackend(backend);

async function time(fn, cleanup) {
  const times = [];
  for (let i = -1; i < runs; i++) {
    gc();
    const start = performance.now();
    const r = await fn();
    const ms = performance.now() - start;
    if (cleanup) await cleanup(r);
    if (i >= 0) times.push(ms);
  }
  return Number(median(times).toFixed(2));
}

const out = { backend, machine: machine(), workloads: {} };
for (const [name, w] of Object.entries(WORKLOADS)) {
  if (args.workloads ? !String(args.workloads).split(',').includes(name) : !w.quick && !args.all) continue;
  const model = w.build();
  const dir = await mkdtemp(join(tmpdir(), 'modelbundle-profile-'));
  const paths = createPaths(dir);
  try {
    await paths.save.ours(model);
    await paths.save.tfjs(model);
    await paths.save.floor(model);
    const bundle = await readBundle(paths.bundlePath);
    const sections = [...bundle.sections.values()];
    const topologyJson = model.toJSON(null, false);
    const specs = model.weights.map((w) => ({ name: w.originalName, shape: w.shape, dtype: w.dtype }));
    const fileBytes = await readFile(paths.bundlePath);
    const weightBuffer = (await readFile(paths.rawPath)).buffer;
    const built = await tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: topologyJson }));
    const decoded = tf.io.decodeWeights(weightBuffer, specs);
    const s = {
      // load
      'load: read file (readFile)': await time(() => readFile(paths.bundlePath)),
      'load: readBundle, no digests': await time(() => readBundle(paths.bundlePath, { verify: false })),
      'load: readBundle, digests': await time(() => readBundle(paths.bundlePath)),
      'load: SHA-256 of every section': await time(() => {
        for (const b of sections) createHash('sha256').update(b).digest();
      }),
      'load: build model (no weights)': await time(
        () => tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: topologyJson })),
        (m) => m.dispose(),
      ),
      'load: copy weights (decodeWeights)': await time(
        () => tf.io.decodeWeights(weightBuffer, specs),
        (t) => tf.dispose(Object.values(t)),
      ),
      'load: tensors from views (tf.tensor)': await time(
        () => specs.map((sp, i) => tf.tensor(new Float32Array(sections[i + 1].buffer, sections[i + 1].byteOffset, sections[i + 1].byteLength / 4), sp.shape)),
        (t) => tf.dispose(t),
      ),
      'load: set weights (loadWeights)': await time(() => built.loadWeights(decoded, true)),
      'load: whole, ours (modelFromBytes(readBundle))': await time(
        () => paths.load.ours(),
        (m) => m.dispose(),
      ),
      'load: whole, ours from bytes in memory': await time(
        () => modelFromBytes(bundle),
        (m) => m.dispose(),
      ),
      'load: whole, tfjs': await time(
        () => paths.load.tfjs(),
        (m) => m.dispose(),
      ),
      'load: whole, floor': await time(
        () => paths.load.floor(),
        (m) => m.dispose(),
      ),
      // save
      'save: weights out of the backend (data())': await time(async () => {
        for (const v of model.weights) await v.read().data();
      }),
      'save: topology (toJSON)': await time(() => model.toJSON(null, false)),
      'save: modelToBundle (parts + digests + header)': await time(() => modelToBundle(model)),
      'save: SHA-256 of every section': await time(() => {
        for (const b of sections) createHash('sha256').update(b).digest();
      }),
      'save: writeBundle (atomic, fsync)': await time(() => writeBundle(paths.bundlePath, bundle)),
      'save: whole, ours': await time(() => paths.save.ours(model)),
      'save: whole, tfjs': await time(() => paths.save.tfjs(model)),
      'save: whole, floor': await time(() => paths.save.floor(model)),
    };
    built.dispose();
    tf.dispose(Object.values(decoded));
    out.workloads[name] = { tensors: model.weights.length, fileBytes: fileBytes.byteLength, steps: s };
    console.error(name, JSON.stringify(s, null, 1));
  } finally {
    model.dispose();
    await rm(dir, { recursive: true, force: true });
  }
}
out.machine.loadavgAtEnd = machine().loadavg;
console.log(JSON.stringify(out, null, 1));
