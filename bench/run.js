#!/usr/bin/env node
// Benchmarks, side by side in one process: see docs/PERFORMANCE.md.
//   node bench/run.js            full run (the record; writes bench/results/full.json)
//   node bench/run.js --quick    CI smoke: small workloads, few runs (or BENCH_QUICK=1)
//   node bench/run.js --scale    the > 4 GiB scale test alone (needs ~14 GiB free RAM and disk)
// Options: --only=save-load,rss,load-rss,inspect,predict,keras,serve  --workloads=mlp-1m,lstm  --runs=N  --backend=cpu|wasm  --out=path  --record
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { useBackend } from '@modelbundle/tfjs';
import { machine } from './lib/machine.js';
import { WORKLOADS } from './lib/models.js';
import { writeReport } from './lib/report.js';
import { inspectSizes } from './suites/inspect.js';
import { kerasSuite } from './suites/keras.js';
import { predictSuite } from './suites/predict.js';
import { loadRssSuite, rssSuite } from './suites/rss.js';
import { saveLoad } from './suites/save-load.js';
import { scaleSuite } from './suites/scale.js';
import { serveSuite } from './suites/serve.js';

const here = dirname(fileURLToPath(import.meta.url));
const args = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, '').split('=');
    return [k, v ?? true];
  }),
);
const quick = args.quick === true || process.env.BENCH_QUICK === '1';
const mode = args.scale ? 'scale' : quick ? 'quick' : 'full';
const runs = Number(args.runs ?? (quick ? 5 : 7));
const warmup = quick ? 1 : 2;
const backend = String(args.backend ?? 'cpu');
const only = args.only ? new Set(String(args.only).split(',')) : undefined;
const want = (suite) => (mode === 'scale' ? suite === 'scale' : suite !== 'scale' && (!only || only.has(suite)));
const log = (...m) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...m);

await useBackend(backend);
const result = { mode, backend, runs, warmup, started: new Date().toISOString(), machine: machine(), suites: {} };

if (want('save-load')) {
  result.suites.saveLoad = [];
  for (const [name, w] of Object.entries(WORKLOADS)) {
    if (args.workloads ? !String(args.workloads).split(',').includes(name) : quick && !w.quick) continue;
    log(`save/load ${name}`);
    const model = w.build();
    result.suites.saveLoad.push(await saveLoad(name, model, { runs, warmup }));
    model.dispose();
  }
}
if (want('rss')) {
  log('peak RSS while saving (child processes)');
  result.suites.rss = await rssSuite({ quick, backend });
}
if (want('load-rss')) {
  log('peak RSS while loading (child processes)');
  result.suites.loadRss = await loadRssSuite({ quick, backend });
}
if (want('inspect')) {
  log('inspect vs file size');
  result.suites.inspect = await inspectSizes({ quick, runs: Math.max(runs, 9) });
}
if (want('predict')) {
  log('predict: restored workflow vs raw model');
  result.suites.predict = await predictSuite({ quick, runs });
}
if (want('keras')) {
  log('Keras import: a large .keras file vs reading it and writing its bundle');
  result.suites.keras = await kerasSuite({ quick, runs, warmup });
}
if (want('serve')) {
  log('HTTP serving (autocannon, loopback)');
  result.suites.serve = await serveSuite({ quick, runs: quick ? 5 : runs, backend });
}
if (want('scale')) {
  log('scale test (> 4 GiB)');
  result.suites.scale = await scaleSuite({ backend });
}
result.finished = new Date().toISOString();
result.machine.loadavgAtEnd = machine().loadavg;

// The record keeps one file per backend: full.json (cpu) and full-wasm.json.
const suffix = backend === 'cpu' ? '' : `-${backend}`;
const out = String(
  args.out ?? (mode === 'quick' && !args.record ? join(here, `results/tmp/quick${suffix}.json`) : join(here, `results/${mode}${suffix}.json`)),
);
await mkdir(dirname(out), { recursive: true });
await writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
log(`results: ${out}`);
if (args.record) {
  await writeReport(join(here, '../docs/PERFORMANCE.md'), here);
  log('docs/PERFORMANCE.md tables updated');
}
console.log(JSON.stringify(result.suites, null, 1));
