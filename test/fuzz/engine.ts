import { ModelBundleError } from '@modelbundle/core';
import { installAllocationGuard, measureAllocation } from './alloc-guard.js';
import type { Seed } from './corpus.js';
import { mutate } from './mutators.js';
import { Rng } from './rng.js';
import { type FuzzTarget, OracleViolation, type TargetContext } from './targets.js';

/** A broken promise: an untyped exception, a violated oracle, a slow case or an outsized allocation. */
export interface Problem {
  target: string;
  kind: 'untyped' | 'oracle' | 'slow' | 'alloc';
  message: string;
}

export interface Finding extends Problem {
  caseIndex: number;
  seedName: string;
  how: string;
  input: Uint8Array;
}

/** A case slower than this counts as a hang. */
export const SLOW_MS = 1000;
/** Allocation allowed beyond the input's own size (fixed-size buffers of the decoders). */
export const ALLOCATION_SLACK = 1 << 20;

/** Per target: how often each outcome (OK or an error code) happened. */
export type OutcomeCounts = Record<string, Record<string, number>>;

/** The most any one refusal cost, over the inputs measured (docs/SECURITY.md, "Cost of a refusal"). */
export interface RefusalCost {
  /** Inputs refused (one target each), and how many were under 1 MB. */
  refusals: number;
  /** Largest CPU time (user + system) of one refusal, in ms. */
  cpuMs: number;
  /** Largest growth of the process's memory (RSS, and JS heap plus array buffers) during one refusal, in bytes. */
  rssGrowth: number;
  heapGrowth: number;
  /** Largest single allocation during one refusal, in bytes. */
  largestAllocation: number;
  /** The target and input length of the costliest refusal by CPU time. */
  worst?: { target: string; inputBytes: number; code: string };
}

export function emptyCost(): RefusalCost {
  return { refusals: 0, cpuMs: 0, rssGrowth: 0, heapGrowth: 0, largestAllocation: 0 };
}

/** Runs every target on one input and returns the first broken promise, if any. */
export async function checkInput(
  input: Uint8Array,
  targets: readonly FuzzTarget[],
  ctx: TargetContext,
  counts?: OutcomeCounts,
  cost?: RefusalCost,
): Promise<Problem | undefined> {
  installAllocationGuard();
  for (const target of targets) {
    const cpu = process.cpuUsage();
    const memory = process.memoryUsage();
    let started = performance.now();
    let { largest, result } = await measureAllocation(() => target.run(input, ctx));
    let ms = performance.now() - started;
    if (cost && result.status === 'rejected' && input.length < 1_000_000) {
      const used = process.cpuUsage(cpu);
      const after = process.memoryUsage();
      const cpuMs = (used.user + used.system) / 1000;
      cost.refusals++;
      if (cpuMs > cost.cpuMs) {
        cost.cpuMs = cpuMs;
        cost.worst = { target: target.name, inputBytes: input.length, code: String((result.reason as { code?: unknown })?.code) };
      }
      cost.rssGrowth = Math.max(cost.rssGrowth, after.rss - memory.rss);
      cost.heapGrowth = Math.max(cost.heapGrowth, after.heapUsed + after.arrayBuffers - memory.heapUsed - memory.arrayBuffers);
      cost.largestAllocation = Math.max(cost.largestAllocation, largest);
    }
    // Wall time also counts time the machine gave to other processes: a slow case must be slow three times.
    for (let retry = 0; retry < 2 && ms > SLOW_MS; retry++) {
      started = performance.now();
      ({ largest, result } = await measureAllocation(() => target.run(input, ctx)));
      ms = Math.min(ms, performance.now() - started);
    }
    let outcome = 'OK';
    if (result.status === 'rejected') {
      const error = result.reason;
      if (error instanceof OracleViolation) return { target: target.name, kind: 'oracle', message: error.message };
      if (!(error instanceof ModelBundleError)) {
        return { target: target.name, kind: 'untyped', message: `${(error as Error)?.name ?? typeof error}: ${(error as Error)?.message ?? String(error)}` };
      }
      outcome = error.code;
    }
    if (counts) {
      counts[target.name] ??= {};
      const row = counts[target.name] as Record<string, number>;
      row[outcome] = (row[outcome] ?? 0) + 1;
    }
    if (ms > SLOW_MS) return { target: target.name, kind: 'slow', message: `took ${ms.toFixed(0)} ms (limit ${SLOW_MS} ms)` };
    if (largest > input.length + ALLOCATION_SLACK) {
      return { target: target.name, kind: 'alloc', message: `allocated ${largest} bytes at once for a ${input.length}-byte input` };
    }
  }
  return undefined;
}

/** The input of case `index` of a run seeded with `seed`: every case replays on its own. */
export async function caseInput(seed: number, index: number, seeds: readonly Seed[]): Promise<{ seed: Seed; bytes: Uint8Array; how: string }> {
  return mutate(new Rng(seed, index), seeds);
}

/** Runs one case; resolves to a finding or undefined. */
export async function runCase(
  seed: number,
  index: number,
  targets: readonly FuzzTarget[],
  ctx: TargetContext,
  counts?: OutcomeCounts,
  cost?: RefusalCost,
): Promise<Finding | undefined> {
  const { seed: from, bytes, how } = await caseInput(seed, index, ctx.corpus.seeds);
  const due = targets.filter((t) => index % (t.every ?? 1) === 0);
  const problem = await checkInput(bytes, due, ctx, counts, cost);
  return problem && { ...problem, caseIndex: index, seedName: from.name, how, input: bytes };
}

/**
 * Shrinks a failing input towards its seed while the same target keeps
 * failing the same way: reverts differing bytes in halving chunks, then trims the tail.
 */
export async function minimize(
  finding: Finding,
  seedBytes: Uint8Array,
  targets: readonly FuzzTarget[],
  ctx: TargetContext,
  onStep: () => void = () => {},
  budget = 400,
): Promise<Uint8Array> {
  const only = targets.filter((t) => t.name === finding.target);
  const fails = async (candidate: Uint8Array) => {
    if (budget-- <= 0) return false;
    onStep();
    const p = await checkInput(candidate, only, ctx);
    return p?.kind === finding.kind;
  };
  let best = finding.input;
  for (let chunk = 64; chunk >= 1; chunk = Math.floor(chunk / 2)) {
    for (let at = 0; at < Math.min(best.length, seedBytes.length); at += chunk) {
      const candidate = best.slice();
      let changed = false;
      for (let i = at; i < Math.min(at + chunk, candidate.length, seedBytes.length); i++) {
        if (candidate[i] !== seedBytes[i]) {
          candidate[i] = seedBytes[i] as number;
          changed = true;
        }
      }
      if (changed && (await fails(candidate))) best = candidate;
    }
  }
  for (let cut = Math.floor(best.length / 2); cut >= 1; cut = Math.floor(cut / 2)) {
    while (best.length > cut && (await fails(best.subarray(0, best.length - cut)))) best = best.slice(0, best.length - cut);
  }
  return best;
}
