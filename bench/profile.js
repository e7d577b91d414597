#!/usr/bin/env node
// Where the time of one save and one load goes, step by step, for each
// workload: see docs/PERFORMANCE.md, "Where the time goes".
//   node bench/profile.js [--backend=cpu|wasm] [--workloads=mlp-1m,lstm] [--runs=N] [--all]
// Writes bench/results/profile.json (cpu) or profile-<backend>.json; `run.js --record` renders them.
// Each step is timed on its own (median of N runs, GC before each), so the
// steps are the parts of a pipeline, not a second benchmark: the sum can
// differ from the end-to-end time, which bench/run.js measures side by side.
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inspect } from '@modelbundle/core';
import { readBundle, writeBundle } from '@modelbundle/core/node';
import { bundleToModel as modelFromBytes, modelToBundle, useBackend } from '@modelbundle/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { gc, settleAllocator } from './lib/compare.js';
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
settleAllocator();

/** Median ms of `fn(prepared)` over `runs` runs after one warm-up; `setup` and `cleanup` run outside the clock. */
async function time(fn, cleanup, setup) {
  const times = [];
  for (let i = -1; i < runs; i++) {
    const prepared = setup ? await setup() : undefined;
    gc();
    const start = performance.now();
    const r = await fn(prepared);
    const ms = performance.now() - start;
    if (cleanup) await cleanup(r);
    if (i >= 0) times.push(ms);
  }
  return Number(median(times).toFixed(2));
}

/** Writes chunks to a new file and fsyncs it: the floor's write. */
async function writeRaw(path, chunks) {
  const handle = await open(path, 'w');
  try {
    await handle.writev(chunks);
    await handle.sync();
  } finally {
    await handle.close();
  }
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
    const views = bundle.header.payload.weights.map((w) => {
      const section = bundle.sections.get(w.section);
      const at = section.byteOffset + (w.offset ?? 0);
      return new Float32Array(
        section.buffer,
        at,
        w.shape.reduce((a, b) => a * b, 1),
      );
    });
    const values = sections.slice(1);
    const s = {
      'load: read the file (readFile)': await time(() => readFile(paths.bundlePath)),
      'load: readBundle, no digests': await time(() => readBundle(paths.bundlePath, { verify: false })),
      'load: readBundle, digests (hashed while reading)': await time(() => readBundle(paths.bundlePath)),
      'load: SHA-256 of every section, alone': await time(() => {
        for (const b of sections) createHash('sha256').update(b).digest();
      }),
      'load: prefix + header: digest, decode, checks': await time(() => inspect(fileBytes.subarray(0, 128 + bundle.headerBytes.length))),
      "load: copy every weight (tfjs's decodeWeights)": await time(
        () => tf.io.decodeWeights(weightBuffer, specs),
        (t) => tf.dispose(Object.values(t)),
      ),
      'load: tensors viewing the sections (ours)': await time(
        () => specs.map((sp, i) => tf.tensor(views[i], sp.shape)),
        (t) => tf.dispose(t),
      ),
      "load: build + set weights, tfjs's fastest route (bytes in memory)": await time(
        () => tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: topologyJson, weightSpecs: specs, weightData: weightBuffer })),
        (m) => m.dispose(),
      ),
      'load: build + checks + set weights, ours (Bundle in memory)': await time(
        () => modelFromBytes(bundle),
        (m) => m.dispose(),
      ),
      'load: whole, ours': await time(
        () => paths.load.ours(),
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
      'save: weights out of the backend (data())': await time(async () => {
        for (const v of model.weights) await v.read().data();
      }),
      'save: topology (toJSON)': await time(() => model.toJSON(null, false)),
      'save: modelToBundle (parts, header laid out)': await time(() => modelToBundle(model)),
      'save: SHA-256 of every section, alone': await time(() => {
        for (const b of values) createHash('sha256').update(b).digest();
      }),
      "save: write raw bytes + fsync (the floor's write)": await time(() => writeRaw(join(dir, 'raw-profile.bin'), values)),
      'save: writeBundle, hashing while writing (atomic)': await time(
        (b) => writeBundle(paths.bundlePath, b),
        undefined,
        () => modelToBundle(model),
      ),
      'save: whole, ours': await time(() => paths.save.ours(model)),
      'save: whole, tfjs': await time(() => paths.save.tfjs(model)),
      'save: whole, floor': await time(() => paths.save.floor(model)),
    };
    out.workloads[name] = { tensors: model.weights.length, fileBytes: fileBytes.byteLength, steps: s };
    console.error(name, JSON.stringify(s, null, 1));
  } finally {
    model.dispose();
    await rm(dir, { recursive: true, force: true });
  }
}
out.machine.loadavgAtEnd = machine().loadavg;
out.runs = runs;
const file = String(args.out ?? join(dirname(fileURLToPath(import.meta.url)), `results/profile${backend === 'cpu' ? '' : `-${backend}`}.json`));
await mkdir(dirname(file), { recursive: true });
await writeFile(file, `${JSON.stringify(out, null, 1)}\n`);
console.error(`results: ${file}`);
