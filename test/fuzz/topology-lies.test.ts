import { isModelBundleError } from '@modelbundle/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { forgeBundle, takeApart } from '../security/support/forge.js';
import { buildCorpus, type Corpus, disposeRestored, SERIALIZERS } from './corpus.js';
import { checkInput } from './engine.js';
import { Rng } from './rng.js';
import { fuzzRegistry, TARGETS, type TargetContext } from './targets.js';
import { TOPOLOGY_LIES } from './topology-lies.js';

/**
 * The topology lies reach the checks they aim at: over the tfjs seeds, each
 * generator's cases end in a success or a ModelBundleError (within 1 s,
 * allocating no more than the input justifies), and the graph, state and
 * growth checks each refuse some of them.
 */
const CASES_PER_LIE = 40;

describe('fuzz generators for hostile topologies', () => {
  let corpus: Corpus;
  let ctx: TargetContext;
  beforeAll(async () => {
    corpus = await buildCorpus(SERIALIZERS.filter((s) => s.name === 'tfjs'));
    ctx = { corpus, registry: await fuzzRegistry(SERIALIZERS), scratchPath: '/dev/null' };
  });

  it.each(TOPOLOGY_LIES.map((lie, i) => [['graph', 'growth', 'stateful'][i] as string, lie] as const))(
    '%s lies: typed outcomes, and refused by their check',
    async (name, lie) => {
      const unbundle = TARGETS.filter((t) => t.name === 'unbundle');
      const seeds = corpus.seeds.filter((s) => !s.signed && s.name.startsWith('tfjs#'));
      const messages: string[] = [];
      for (let i = 0; i < CASES_PER_LIE; i++) {
        const rng = new Rng(20261202, i);
        const seed = rng.pick(seeds);
        const { header, sections } = await takeApart(seed.bytes);
        const bytes = forgeBundle(lie(rng, header as Record<string, unknown>, sections), sections);
        expect(await checkInput(bytes, unbundle, ctx)).toBeUndefined();
        const outcome = await ctx.registry.unbundle(bytes).then(
          (value) => {
            disposeRestored(value);
            return 'OK';
          },
          (e: unknown) => (isModelBundleError(e) ? e.message : `untyped ${String(e)}`),
        );
        messages.push(outcome);
      }
      const aimed = { graph: /layer graph of model/, growth: /would output \d+ values for a single row/, stateful: /zero-state values/ }[name] as RegExp;
      expect(messages.filter((m) => aimed.test(m)).length, messages.join('\n')).toBeGreaterThan(3);
    },
  );
});
