import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCorpus, SERIALIZERS } from './corpus.js';
import { checkInput, emptyCost, runCase } from './engine.js';
import { fuzzRegistry, TARGETS, type TargetContext } from './targets.js';

/**
 * The measured property of docs/SECURITY.md: refusing any input under 1 MB
 * costs under 1 s of CPU time and under 256 MiB of memory growth. Measured
 * over fuzz cases (a sample here; FUZZ_COST_CASES for a longer run) and every
 * regression vector. Prints the numbers it found.
 */
const CASES = Number(process.env.FUZZ_COST_CASES ?? 600);
const SEED = Number(process.env.FUZZ_SEED ?? 20261202);
const REGRESSIONS = new URL('../security/regressions/', import.meta.url).pathname;

describe('the cost of refusing an input', () => {
  let ctx: TargetContext;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mb-cost-'));
    ctx = { corpus: await buildCorpus(SERIALIZERS), registry: await fuzzRegistry(SERIALIZERS), scratchPath: join(dir, 'case.mbnd') };
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it(`over ${CASES} fuzz cases and every regression vector: under 1 s of CPU and 256 MiB of memory growth per refusal`, async () => {
    const cost = emptyCost();
    for (const name of (await readdir(REGRESSIONS)).filter((n) => n.endsWith('.bin'))) {
      expect(await checkInput(new Uint8Array(await readFile(join(REGRESSIONS, name))), TARGETS, ctx, undefined, cost)).toBeUndefined();
    }
    for (let i = 0; i < CASES; i++) expect(await runCase(SEED, i, TARGETS, ctx, undefined, cost)).toBeUndefined();
    console.log(`refusal cost over ${cost.refusals} refusals: ${JSON.stringify(cost)}`);
    expect(cost.refusals).toBeGreaterThan(CASES);
    expect(cost.cpuMs).toBeLessThan(1000);
    expect(cost.rssGrowth).toBeLessThan(256 * 1024 * 1024);
    expect(cost.heapGrowth).toBeLessThan(256 * 1024 * 1024);
  });
});
