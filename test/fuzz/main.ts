/**
 * `pnpm fuzz`: a seeded mutation fuzzer over every decoding surface.
 *   node test/fuzz/run.js [--cases 100000] [--seed 1] [--workers 2] [--no-save]
 *   node test/fuzz/run.js --seed 1 --save-case 287 --note "why"   (keep one case as a regression vector)
 * Each worker thread runs every Nth case; the main thread watches them, so a
 * case that never returns (a hang) or exhausts memory is caught and reported
 * with its case number. Findings are minimized and kept in
 * test/security/regressions/, where a test replays them.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { buildCorpus, SERIALIZERS } from './corpus.js';
import { caseInput, checkInput, type Finding, minimize, type OutcomeCounts, runCase } from './engine.js';
import { fuzzRegistry, TARGETS, type TargetContext } from './targets.js';

interface WorkerInput {
  seed: number;
  cases: number;
  stride: number;
  offset: number;
  /** Per worker: [case index, case start time (ms since epoch)]. */
  clock: SharedArrayBuffer;
  slot: number;
}

type WorkerMessage =
  | { type: 'finding'; finding: Finding; minimized: Uint8Array }
  | { type: 'counts'; counts: OutcomeCounts; ran: number }
  | { type: 'done' }
  | { type: 'confirmed'; problem: string | undefined };

/** A stuck worker is terminated after this long on one case (cases over 1 s are already findings). */
const HANG_MS = 10_000;
const REGRESSIONS = resolve(process.cwd(), 'test/security/regressions');
/** Known findings whose fix has not landed; not saved again. */
const REGRESSIONS_OPEN = resolve(process.cwd(), 'test/security/regressions-open');

async function context(): Promise<TargetContext> {
  const corpus = await buildCorpus(SERIALIZERS);
  return {
    corpus,
    registry: await fuzzRegistry(SERIALIZERS),
    scratchPath: join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), `mb-fuzz-${process.pid}-${Math.random().toString(36).slice(2)}.mbnd`),
  };
}

async function workerMain(input: WorkerInput): Promise<void> {
  const ctx = await context();
  const clock = new Float64Array(input.clock);
  let counts: OutcomeCounts = {};
  let ran = 0;
  const beat = () => {
    clock[input.slot * 2 + 1] = Date.now();
  };
  // Counts go to the main thread in batches, so a worker that is stopped loses at most one batch.
  const flush = () => {
    parentPort?.postMessage({ type: 'counts', counts, ran } satisfies WorkerMessage);
    counts = {};
    ran = 0;
  };
  for (let i = input.offset; i < input.cases; i += input.stride) {
    clock[input.slot * 2] = i;
    beat();
    const finding = await runCase(input.seed, i, TARGETS, ctx, counts);
    ran++;
    if (finding) {
      const seed = ctx.corpus.seeds.find((s) => s.name === finding.seedName);
      const minimized = seed ? await minimize(finding, seed.bytes, TARGETS, ctx, beat) : finding.input;
      parentPort?.postMessage({ type: 'finding', finding, minimized } satisfies WorkerMessage);
    }
    if (ran === 250) flush();
  }
  flush();
  clock[input.slot * 2 + 1] = 0;
  await import('node:fs/promises').then((fs) => fs.rm(ctx.scratchPath, { force: true }));
  parentPort?.postMessage({ type: 'done' } satisfies WorkerMessage);
}

/** Re-runs one case in a fresh worker: a case stopped as a hang while the machine was busy must fail again to count. */
async function confirmMain(seed: number, index: number): Promise<void> {
  const ctx = await context();
  const { bytes } = await caseInput(seed, index, ctx.corpus.seeds);
  const problem = await checkInput(bytes, TARGETS, ctx);
  await import('node:fs/promises').then((fs) => fs.rm(ctx.scratchPath, { force: true }));
  parentPort?.postMessage({ type: 'confirmed', problem: problem && `[${problem.target}] ${problem.kind}: ${problem.message}` } satisfies WorkerMessage);
}

function parseArgs(argv: string[]): { cases: number; seed: number; workers: number; save: boolean } {
  const get = (name: string, fallback: number) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? Number(argv[i + 1]) : fallback;
  };
  return {
    cases: get('cases', 100_000),
    seed: get('seed', 1),
    workers: get('workers', Math.max(1, Math.min(2, availableParallelism()))),
    save: !argv.includes('--no-save'),
  };
}

async function save(finding: Finding, minimized: Uint8Array, seed: number): Promise<string> {
  const slug = finding.target.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
  const name = `fuzz-${finding.kind}-${slug}-${createHash('sha256').update(minimized).digest('hex').slice(0, 10)}`;
  if (existsSync(join(REGRESSIONS_OPEN, `${name}.bin`))) return `${name} (known, in regressions-open/)`;
  await mkdir(REGRESSIONS, { recursive: true });
  await writeFile(join(REGRESSIONS, `${name}.bin`), minimized);
  const meta = {
    target: finding.target,
    kind: finding.kind,
    message: finding.message,
    seed,
    caseIndex: finding.caseIndex,
    seedName: finding.seedName,
    how: finding.how,
  };
  await writeFile(join(REGRESSIONS, `${name}.json`), `${JSON.stringify(meta, null, 2)}\n`);
  return name;
}

/** Keeps one case (say, one that failed before a fix) as a regression vector. */
async function saveCase(seed: number, index: number, note: string): Promise<void> {
  const ctx = await context();
  const { seed: from, bytes, how } = await caseInput(seed, index, ctx.corpus.seeds);
  const problem = await checkInput(bytes, TARGETS, ctx);
  const finding: Finding = {
    target: problem?.target ?? 'all',
    kind: problem?.kind ?? 'slow',
    message: problem?.message ?? note,
    caseIndex: index,
    seedName: from.name,
    how,
    input: bytes,
  };
  console.log(
    `saved case ${index} (${how}, ${bytes.length} bytes) as ${await save(finding, bytes, seed)}${problem ? `; it still fails: ${problem.message}` : ''}`,
  );
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const saveAt = process.argv.indexOf('--save-case');
  if (saveAt >= 0) {
    const noteAt = process.argv.indexOf('--note');
    return saveCase(args.seed, Number(process.argv[saveAt + 1]), noteAt >= 0 ? (process.argv[noteAt + 1] ?? '') : '');
  }
  const started = Date.now();
  console.log(`fuzz: ${args.cases} cases, seed ${args.seed}, ${args.workers} worker(s), ${TARGETS.length} targets: ${TARGETS.map((t) => t.name).join(', ')}`);
  const clock = new SharedArrayBuffer(16 * args.workers);
  const times = new Float64Array(clock);
  const counts: OutcomeCounts = {};
  const findings: { finding: Finding; minimized: Uint8Array }[] = [];
  let ran = 0;
  let starved = 0;
  const runWorker = (slot: number, offset: number): Promise<void> =>
    new Promise((done) => {
      const worker = new Worker(new URL(import.meta.url), {
        workerData: { seed: args.seed, cases: args.cases, stride: args.workers, offset, clock, slot } satisfies WorkerInput,
        resourceLimits: { maxOldGenerationSizeMb: 768 },
      });
      let finished = false;
      let killedFor: 'hang' | undefined;
      const watchdog = setInterval(() => {
        const since = times[slot * 2 + 1] as number;
        if (since > 0 && Date.now() - since > HANG_MS) {
          killedFor = 'hang';
          void worker.terminate();
        }
      }, 250);
      worker.on('message', (m: WorkerMessage) => {
        if (m.type === 'finding') findings.push(m);
        else if (m.type === 'done') finished = true;
        else if (m.type === 'counts') {
          ran += m.ran;
          for (const [target, row] of Object.entries(m.counts)) {
            counts[target] ??= {};
            const into = counts[target] as Record<string, number>;
            for (const [k, v] of Object.entries(row)) into[k] = (into[k] ?? 0) + v;
          }
        }
      });
      let ended = false;
      const onEnd = async (error?: Error) => {
        clearInterval(watchdog);
        if (ended) return; // 'error' is followed by 'exit'
        ended = true;
        if (finished) return done();
        // The worker died mid-case: a hang, an out-of-memory, or a crash. Record the case and go on after it.
        const index = times[slot * 2] as number;
        times[slot * 2 + 1] = 0;
        const ctx = await context();
        const { seed, bytes, how } = await caseInput(args.seed, index, ctx.corpus.seeds);
        const kind = killedFor ?? 'untyped';
        let message = killedFor
          ? `no result after ${HANG_MS} ms`
          : `worker died: ${error?.message ?? 'exited'}${(error as NodeJS.ErrnoException)?.code ? ` (${(error as NodeJS.ErrnoException).code})` : ''}`;
        const again = killedFor ? await confirm(args.seed, index) : 'not re-run';
        if (again === undefined) {
          starved++;
          console.log(`  case ${index}: stopped after ${HANG_MS} ms on a busy machine, but passes when re-run alone; not a finding`);
        } else {
          message += ` (re-run alone: ${again})`;
          findings.push({
            finding: { target: '(worker)', kind: kind as Finding['kind'], message, caseIndex: index, seedName: seed.name, how, input: bytes },
            minimized: bytes,
          });
        }
        await runWorker(slot, index + args.workers);
        done();
      };
      worker.on('error', (e) => void onEnd(e));
      worker.on('exit', () => void onEnd());
    });
  const progress = setInterval(() => {
    const at = Math.max(...Array.from({ length: args.workers }, (_, s) => times[s * 2] as number));
    console.log(`  ... case ${at} of ${args.cases} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  }, 15_000);
  await Promise.all(Array.from({ length: args.workers }, (_, slot) => runWorker(slot, slot)));
  clearInterval(progress);
  const seconds = (Date.now() - started) / 1000;
  console.log(`\nfuzz: ${ran} cases in ${seconds.toFixed(1)} s (${(ran / seconds).toFixed(0)} cases/s), seed ${args.seed}`);
  if (starved > 0) console.log(`${starved} case(s) were stopped while the machine was busy and passed when re-run alone (see above)`);
  console.log('outcomes per target (OK = accepted; otherwise the ModelBundleError code):');
  for (const [target, row] of Object.entries(counts)) {
    const cells = Object.entries(row)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${v}`);
    console.log(`  ${target.padEnd(38)} ${cells.join(', ')}`);
  }
  if (findings.length === 0) {
    console.log('findings: none (every outcome was a success or a ModelBundleError, none slower than 1 s, no outsized allocation)');
    return;
  }
  console.log(`findings: ${findings.length}`);
  for (const { finding, minimized } of findings.slice(0, 50)) {
    const where = args.save ? ` -> ${await save(finding, minimized, args.seed)}` : '';
    console.log(`  case ${finding.caseIndex} [${finding.target}] ${finding.kind}: ${finding.message} (seed ${finding.seedName}, ${finding.how})${where}`);
  }
  process.exitCode = 1;
}

/** Runs case `index` in a fresh worker; resolves to its problem, undefined when it passes, or a note when it hangs again. */
function confirm(seed: number, index: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: { confirm: index, seed }, resourceLimits: { maxOldGenerationSizeMb: 768 } });
    const timer = setTimeout(() => {
      void worker.terminate();
      resolve(`no result after ${HANG_MS * 3} ms again`);
    }, HANG_MS * 3);
    worker.once('message', (m: WorkerMessage) => {
      clearTimeout(timer);
      void worker.terminate();
      resolve(m.type === 'confirmed' ? m.problem : 'unexpected message');
    });
    worker.once('error', (e) => {
      clearTimeout(timer);
      resolve(`worker died again: ${e.message}`);
    });
  });
}

if (isMainThread) await main();
else if ((workerData as { confirm?: number }).confirm !== undefined)
  await confirmMain((workerData as { seed: number }).seed, (workerData as { confirm: number }).confirm);
else await workerMain(workerData as WorkerInput);
