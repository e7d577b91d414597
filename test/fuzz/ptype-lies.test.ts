import { inspect, isModelBundleError, readPtype } from '@modelbundle/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { forgeBundle, takeApart } from '../security/support/forge.js';
import { buildCorpus, type Corpus, SERIALIZERS } from './corpus.js';
import { checkInput } from './engine.js';
import { PTYPE_LIES } from './ptype-lies.js';
import { Rng } from './rng.js';
import { fuzzRegistry, TARGETS, type TargetContext } from './targets.js';

/**
 * The ptype lies reach the check they aim at: each generator's cases end in
 * schemas under 1 MiB or a typed refusal (within 1 s, allocating no more
 * than the input justifies), and `readPtype` refuses some of them as MALFORMED.
 */
const CASES_PER_LIE = 30;

describe('fuzz generators for hostile ptypes', () => {
  let corpus: Corpus;
  let ctx: TargetContext;
  beforeAll(async () => {
    corpus = await buildCorpus(SERIALIZERS.filter((s) => s.name !== 'tfjs'));
    ctx = { corpus, registry: await fuzzRegistry(SERIALIZERS), scratchPath: '/dev/null' };
  });

  it.each(PTYPE_LIES.map((lie, i) => [['tensor shapes', 'column lists', 'nesting'][i] as string, lie] as const))(
    '%s: typed outcomes, and refused by readPtype',
    async (_name, lie) => {
      const targets = TARGETS.filter((t) => t.name === 'readPtype+rowSchemas' || t.name === 'inspect');
      const seeds = corpus.seeds.filter((s) => !s.raw && !s.signed);
      let refused = 0;
      for (let i = 0; i < CASES_PER_LIE; i++) {
        const rng = new Rng(20261202, i);
        const seed = rng.pick(seeds);
        const { header, sections } = await takeApart(seed.bytes);
        let bytes: Uint8Array;
        try {
          bytes = forgeBundle(lie(rng, header as Record<string, unknown>), sections);
        } catch {
          continue; // past the header's own limits: refused before any ptype code runs
        }
        expect(await checkInput(bytes, targets, ctx)).toBeUndefined();
        try {
          readPtype((await inspect(bytes)).header.ptype);
        } catch (error) {
          if (!isModelBundleError(error)) throw error;
          if (error.code === 'MALFORMED') refused++;
        }
      }
      expect(refused).toBeGreaterThan(3);
    },
  );
});
