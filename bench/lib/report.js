// Renders bench/results/{full,scale}.json as the tables of docs/PERFORMANCE.md,
// between the `<!-- bench:NAME -->` and `<!-- /bench:NAME -->` markers.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const MB = 1e6;
const mib = (b) => `${(b / 2 ** 20).toFixed(1)} MiB`;
const ratio = (r) => `**${r.median.toFixed(2)}x** (${r.min.toFixed(2)}–${r.max.toFixed(2)})`;
const ms = (s) => `${s.median} (${s.min}–${s.max})`;
const met = (ok) => (ok ? 'met' : '**missed**');

function machineTable(r) {
  const m = r.machine;
  return [
    '| | |',
    '|---|---|',
    `| CPU | ${m.cpu}, ${m.cores} cores |`,
    `| Memory | ${m.memoryGiB} GiB (${m.freeMemoryGiB} GiB free at start) |`,
    `| Node | ${m.node} (${m.platform}) |`,
    `| tfjs backend | ${r.backend} (both sides of every comparison) |`,
    `| Load average (1/5/15 min) | ${m.loadavg.join(' / ')} at start, ${m.loadavgAtEnd.join(' / ')} at end |`,
    `| Runs | ${r.runs} measured after ${r.warmup} warm-up, per contender, interleaved |`,
    `| Taken | ${r.started} to ${r.finished} |`,
  ].join('\n');
}

function ioTable(rows, op) {
  const head = `| Workload | Params | Tensors | Weights | ours ms | tfjs ms | floor ms | ours / tfjs | target | ours / floor | target |\n|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---|`;
  const vsTfjs = op === 'save' ? ['saveVsTfjs', '≤ 0.9x'] : ['loadVsTfjs', '≤ 1.0x'];
  const vsFloor = op === 'save' ? 'saveVsFloor' : 'loadVsFloor';
  const body = rows.map((r) => {
    const c = r[op];
    return `| ${r.workload} | ${(r.params / 1e6).toFixed(2)}M | ${r.tensors} | ${(r.weightBytes / MB).toFixed(1)} MB | ${ms(c.ms.ours)} | ${ms(c.ms.tfjs)} | ${ms(c.ms.floor)} | ${ratio(c.ratio['ours/tfjs'])} | ${vsTfjs[1]} ${met(r.targets[vsTfjs[0]].met)} | ${ratio(c.ratio['ours/floor'])} | ≤ ${r.targets[vsFloor].target}x ${met(r.targets[vsFloor].met)} |`;
  });
  return [head, ...body].join('\n');
}

function sizeTable(rows) {
  const head =
    '| Workload | Tensors | Bundle bytes | tfjs files (model.json + weights.bin) | Bundle − tfjs files | Bundle − raw weights − topology | Budget (4 KiB + 64 B/tensor) | |\n|---|---:|---:|---:|---:|---:|---:|---|';
  const body = rows.map(
    (r) =>
      `| ${r.workload} | ${r.tensors} | ${r.size.bundleBytes} | ${r.size.tfjsBytes} | ${r.size.overheadOverTfjs} | ${r.size.overheadOverRaw} | ${r.size.budget} | ${met(r.targets.overhead.met)} |`,
  );
  return [head, ...body].join('\n');
}

function rssTable(rows) {
  const head =
    '| Workload | Path | Largest tensor | RSS, model built | Peak RSS while saving | Extra | Extra / largest tensor | Target (≤ 1.3) |\n|---|---|---:|---:|---:|---:|---:|---|';
  const body = rows.map(
    (r) =>
      `| ${r.workload} | ${r.contender} | ${mib(r.largestTensorBytes)} | ${mib(r.rssBefore)} | ${mib(r.peakRss)} | ${mib(r.extraOverBefore)} | ${r.extraInLargestTensors} | ${r.error ? `failed: ${r.error}` : met(r.target.met)} |`,
  );
  return [head, ...body].join('\n');
}

function loadRssTable(rows) {
  const head =
    '| Workload | Path | Weights | Largest tensor | RSS before loading | Peak RSS while loading | Extra above the loaded weights | Extra / largest tensor | Target (≤ 1.1) |\n|---|---|---:|---:|---:|---:|---:|---:|---|';
  const body = rows.map(
    (r) =>
      `| ${r.workload} | ${r.contender} | ${mib(r.weightBytes ?? 0)} | ${mib(r.largestTensorBytes ?? 0)} | ${mib(r.rssBefore)} | ${mib(r.peakRss)} | ${mib(r.extraOverModel)} | ${r.extraInLargestTensors} | ${r.error ? `failed: ${r.error}` : met(r.target.met)} |`,
  );
  return [head, ...body].join('\n');
}

function inspectTable(rows) {
  const head = '| File size | Bytes read | inspectFile ms, median (min–max) | Target (< 5 ms) |\n|---:|---:|---:|---|';
  return [head, ...rows.map((r) => `| ${mib(r.fileBytes)} | ${r.bytesRead} | ${ms(r.ms)} | ${met(r.target.met)} |`)].join('\n');
}

function predictTable(p) {
  return [
    `Batch of ${p.rows} rows, ${p.features} features; first predict on the copy (restores the model): ${p.firstPredictWithRestoreMs} ms.`,
    '',
    '| | ms, median (min–max) |\n|---|---:|',
    ...Object.entries(p.ms).map(([k, v]) => `| ${k} | ${ms(v)} |`),
    '',
    `workflow / raw: ${ratio(p.ratio['workflow/raw'])}, target ≤ 1.05x: ${met(p.target.met)}; workflow / raw+bake: ${ratio(p.ratio['workflow/raw+bake'])}.`,
    ...(p.batch1
      ? [
          '',
          `Batch 1 (one row; ${p.batch1.runs} runs${p.batch1.calls ? ` of ${p.batch1.calls} calls each, times per call` : ''}): workflow ${ms(p.batch1.ms.workflow)} ms, raw ${ms(p.batch1.ms.raw)} ms; workflow / raw: ${ratio(p.batch1.ratio['workflow/raw'])}, target ≤ 1.1x: ${met(p.batch1.target.met)}.`,
        ]
      : []),
  ].join('\n');
}

function serveTable(s) {
  return [
    `POST /predict, ${s.rowsPerRequest} rows per request, ${s.connections} connections, ${s.secondsPerRun} s per run, ${s.runs} runs each, alternating.`,
    '',
    '| Server | requests/s | p50 ms | p99 ms |\n|---|---:|---:|---:|',
    `| @modelbundle/serve | ${ms(s.requestsPerSecond.ours)} | ${ms(s.latencyP50Ms.ours)} | ${ms(s.latencyP99Ms.ours)} |`,
    `| bare Fastify + model.predict | ${ms(s.requestsPerSecond.bare)} | ${ms(s.latencyP50Ms.bare)} | ${ms(s.latencyP99Ms.bare)} |`,
    '',
    `Throughput ours / bare: ${ratio(s.throughputRatio)}, target ≥ 0.9x: ${met(s.target.met)}.`,
  ].join('\n');
}

function scaleTable(r) {
  const s = r.suites.scale;
  const row = (name, x) =>
    `| ${name} | ${x.error ? `fails: \`${x.error.slice(0, 160)}\`` : `${(x.ms / 1000).toFixed(1)} s`} | ${mib(x.rssBefore ?? 0)} | ${mib(x.peakRss)} |`;
  return [
    `Model: ${s.save_ours.tensors} tensors, ${(s.save_ours.weightBytes / 2 ** 30).toFixed(2)} GiB of weights, largest tensor ${mib(s.save_ours.largestTensorBytes)}; bundle file ${(s.bundleBytes / 2 ** 30).toFixed(2)} GiB. Machine load average at start: ${r.machine.loadavg.join(' / ')}.`,
    '',
    '| Step | Time | RSS before | Peak RSS |\n|---|---:|---:|---:|',
    row('save, ours (bundle)', s.save_ours),
    row("save, tfjs's own (model.json + weights.bin)", s.save_tfjs),
    row('save, floor (raw bytes)', s.save_floor),
    `| inspect | ${s.inspect.ms} ms (${s.inspect.bytesRead} bytes read) | | |`,
    ...(s.check
      ? [
          `| verify every digest (checkFile, fresh process) | ${s.check.error ? `fails: ${s.check.error}` : `${(s.check.ms / 1000).toFixed(1)} s, ${s.check.sections} sections intact: ${s.check.intact}`} | ${mib(s.check.rssBefore)} | ${mib(s.check.peakRss)} |`,
        ]
      : []),
    loadRow('load, floor (raw bytes + tfjs fromMemory, fresh process)', s.load_floor),
    loadRow('load, ours (fresh process)', s.load_ours),
    ...(s.load_floor && s.load_ours?.vsFloor
      ? [
          '',
          `Load ours / floor: **${s.load_ours.vsFloor}x** (target ≤ 1.2x); peak RSS ours / weights: **${(s.load_ours.peakRss / s.load_ours.weightBytes).toFixed(2)}x** (target ≤ 1.2x).`,
        ]
      : []),
  ].join('\n');
}

function loadRow(label, r) {
  if (!r) return `| ${label} | not measured | | |`;
  return `| ${label} | ${r.error ? `fails: ${r.error}` : `${(r.ms / 1000).toFixed(1)} s, weights checked: ${r.weightsChecked}`} | | ${mib(r.peakRss)} |`;
}

function targetsTable(full, scale) {
  const s = full.suites;
  const rows = [];
  const list = (key) => {
    const met = s.saveLoad.filter((r) => r.targets[key].met).map((r) => r.workload);
    const missed = s.saveLoad.filter((r) => !r.targets[key].met).map((r) => `${r.workload} (${r.targets[key].value})`);
    return `${met.length ? `met: ${met.join(', ')}` : ''}${met.length && missed.length ? '; ' : ''}${missed.length ? `**missed**: ${missed.join(', ')}` : ''}`;
  };
  if (s.saveLoad) {
    rows.push(`| save ≤ 0.9x tfjs's own | ${list('saveVsTfjs')} |`);
    rows.push(`| save ≤ 1.15x floor | ${list('saveVsFloor')} |`);
    rows.push(`| load ≤ 1.0x tfjs's own | ${list('loadVsTfjs')} |`);
    rows.push(`| load ≤ 1.15x floor | ${list('loadVsFloor')} |`);
    rows.push(`| overhead ≤ 4 KiB + 64 B/tensor (bytes over tfjs's files) | ${list('overhead')} |`);
  }
  if (s.inspect)
    rows.push(
      `| inspect < 5 ms at every size | ${s.inspect.every((r) => r.target.met) ? 'met' : '**missed**'}: ${s.inspect.map((r) => `${mib(r.fileBytes)} ${r.ms.median} ms`).join(', ')} |`,
    );
  if (s.rss) {
    const ours = s.rss.filter((r) => r.contender === 'ours');
    rows.push(
      `| peak RSS while saving ≤ model + 1.3x largest tensor | ${ours.every((r) => r.target.met) ? 'met' : '**missed**'}: extra ${ours.map((r) => `${r.workload} ${r.extraInLargestTensors}x`).join(', ')} of the largest tensor |`,
    );
  }
  if (s.loadRss) {
    const ours = s.loadRss.filter((r) => r.contender === 'ours');
    rows.push(
      `| peak RSS while loading ≤ weights + 1.1x largest tensor | ${ours.every((r) => r.target.met) ? 'met' : '**missed**'}: extra ${ours.map((r) => `${r.workload} ${r.extraInLargestTensors}x`).join(', ')} of the largest tensor |`,
    );
  }
  if (s.predict?.batch1) rows.push(`| predict at batch 1 ≤ 1.1x raw | ${met(s.predict.batch1.target.met)}: ${s.predict.batch1.target.value}x |`);
  if (s.predict) rows.push(`| predict after restore ≤ 1.05x raw | ${met(s.predict.target.met)}: ${s.predict.target.value}x |`);
  if (s.serve) rows.push(`| serving ≥ 0.9x bare route | ${met(s.serve.target.met)}: ${s.serve.target.value}x |`);
  const sc = scale?.suites.scale;
  if (sc)
    rows.push(
      `| > 4 GiB saves and loads (scale run of ${scale.started?.slice(0, 10) ?? 'an earlier date'}) | ${!sc.save_ours.error && sc.load_ours.weightsChecked ? 'met' : '**missed**'}: ${(sc.bundleBytes / 2 ** 30).toFixed(2)} GiB bundle; tfjs's own: ${sc.save_tfjs.error ? 'fails' : 'works'} |`,
    );
  return ['| Target | Result |', '|---|---|', ...rows].join('\n');
}

function replace(doc, name, body) {
  const start = `<!-- bench:${name} -->`;
  const end = `<!-- /bench:${name} -->`;
  const i = doc.indexOf(start);
  const j = doc.indexOf(end);
  if (i < 0 || j < 0) return doc;
  return `${doc.slice(0, i + start.length)}\n${body}\n${doc.slice(j)}`;
}

async function readJson(path) {
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch {
    return undefined;
  }
}

/** The step-by-step profile (bench/profile.js) as one table: a row per step, a column per workload. */
function profileTable(p) {
  const names = Object.keys(p.workloads);
  const steps = Object.keys(p.workloads[names[0]]?.steps ?? {});
  return [
    `Backend ${p.backend}; median of ${p.runs} runs per step, in ms; load average ${p.machine.loadavg.join(' / ')} at start, ${p.machine.loadavgAtEnd.join(' / ')} at end.`,
    '',
    `| Step | ${names.join(' | ')} |`,
    `|---|${names.map(() => '---:').join('|')}|`,
    ...steps.map((step) => `| ${step} | ${names.map((n) => p.workloads[n].steps[step]).join(' | ')} |`),
  ].join('\n');
}

/** The tables of one run (one backend): `prefix` selects its markers (`bench:save` for cpu, `bench:wasm-save` for wasm). */
function replaceRun(doc, run, scale, prefix) {
  const s = run.suites;
  let out = replace(doc, `${prefix}machine`, machineTable(run));
  out = replace(out, `${prefix}targets`, targetsTable(run, prefix ? undefined : scale));
  if (s.saveLoad) {
    out = replace(out, `${prefix}save`, ioTable(s.saveLoad, 'save'));
    out = replace(out, `${prefix}load`, ioTable(s.saveLoad, 'load'));
    out = replace(out, `${prefix}size`, sizeTable(s.saveLoad));
  }
  if (s.rss) out = replace(out, `${prefix}rss`, rssTable(s.rss));
  if (s.loadRss) out = replace(out, `${prefix}load-rss`, loadRssTable(s.loadRss));
  if (s.inspect) out = replace(out, `${prefix}inspect`, inspectTable(s.inspect));
  if (s.predict) out = replace(out, `${prefix}predict`, predictTable(s.predict));
  if (s.serve) out = replace(out, `${prefix}serve`, serveTable(s.serve));
  return out;
}

/** Rewrites the generated tables of `docPath` from the recorded results (full.json: cpu; full-wasm.json: wasm). */
export async function writeReport(docPath, benchDir) {
  let doc = await readFile(docPath, 'utf8');
  const full = await readJson(join(benchDir, 'results/full.json'));
  const wasm = await readJson(join(benchDir, 'results/full-wasm.json'));
  const scale = await readJson(join(benchDir, 'results/scale.json'));
  if (full) doc = replaceRun(doc, full, scale, '');
  if (wasm) doc = replaceRun(doc, wasm, scale, 'wasm-');
  if (scale?.suites.scale) doc = replace(doc, 'scale', scaleTable(scale));
  for (const [file, marker] of [
    ['results/profile.json', 'profile'],
    ['results/profile-wasm.json', 'wasm-profile'],
  ]) {
    const profile = await readJson(join(benchDir, file));
    if (profile) doc = replace(doc, marker, profileTable(profile));
  }
  await writeFile(docPath, doc);
}
