import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelBundleError } from '@modelbundle/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCorpus, SERIALIZERS } from './corpus.js';
import { checkInput, type Finding, type OutcomeCounts, runCase } from './engine.js';
import { fuzzRegistry, TARGETS, type TargetContext } from './targets.js';

/** CI runs this many mutated inputs, each through every target; `pnpm fuzz` runs 100,000. */
const CASES = 5000;
const SEED = Number(process.env.FUZZ_SEED ?? 20261125);

describe('mutation fuzzing of every decoding surface', () => {
  let ctx: TargetContext;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mb-fuzz-'));
    ctx = { corpus: await buildCorpus(SERIALIZERS), registry: await fuzzRegistry(SERIALIZERS), scratchPath: join(dir, 'case.mbnd') };
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it(`${CASES} seeded cases: every outcome is a success or a ModelBundleError, none slow, none allocating beyond the input`, async () => {
    const counts: OutcomeCounts = {};
    const findings: Finding[] = [];
    for (let i = 0; i < CASES; i++) {
      const finding = await runCase(SEED, i, TARGETS, ctx, counts);
      if (finding) findings.push(finding);
    }
    expect(findings.map((f) => `case ${f.caseIndex} [${f.target}] ${f.kind}: ${f.message} (${f.seedName}, ${f.how}; replay with FUZZ_SEED=${SEED})`)).toEqual(
      [],
    );
    // The mutations reach the deep checks, not only the prefix: every kind of refusal, and valid rewrites, occur.
    const decode = counts.decodeBundle ?? {};
    for (const code of ['OK', 'NOT_A_BUNDLE', 'TRUNCATED', 'CORRUPT', 'MALFORMED', 'LIMIT_EXCEEDED', 'UNSUPPORTED_FORMAT'])
      expect(decode[code], code).toBeGreaterThan(10);
    expect(counts.unbundle?.OK).toBeGreaterThan(10);
    expect(counts['unbundleFile(streamed)']?.OK).toBeGreaterThan(10); // the section-by-section route accepts valid files too
    expect(counts.checkFile?.OK).toBeGreaterThan(10);
    expect(counts.unbundle?.MALFORMED).toBeGreaterThan(counts.decodeBundle?.MALFORMED ?? 0); // serializer payload checks fire too
    expect(counts['unbundle(trustedKeys)+verifySignature']?.SIGNATURE_INVALID).toBeGreaterThan(10);
  });

  it('flags untyped exceptions, oracle violations and outsized allocations (the checks can fail)', async () => {
    const input = Uint8Array.of(1, 2, 3);
    const untyped = await checkInput(input, [{ name: 'throws', run: async () => JSON.parse('{') }], ctx);
    expect(untyped).toMatchObject({ kind: 'untyped', message: expect.stringMatching(/^SyntaxError/) });
    const typed = await checkInput(input, [{ name: 'typed', run: async () => Promise.reject(new ModelBundleError('MALFORMED', 'x')) }], ctx);
    expect(typed).toBeUndefined();
    const greedy = await checkInput(input, [{ name: 'greedy', run: async () => void new Uint8Array(8 << 20) }], ctx);
    expect(greedy).toMatchObject({ kind: 'alloc' });
    const forged = Uint8Array.from(ctx.corpus.seeds.find((s) => s.signed)?.bytes ?? []);
    forged[forged.length - 1] = (forged[forged.length - 1] as number) ^ 1;
    const decodeOnly = TARGETS.filter((t) => t.name === 'decodeBundle(verify:false)');
    // Without section digests, this flip is invisible to the decoder; the oracle must say nothing.
    expect(await checkInput(forged, decodeOnly, ctx)).toBeUndefined();
  });
});
