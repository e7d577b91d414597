import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCorpus, SERIALIZERS } from '../fuzz/corpus.js';
import { checkInput } from '../fuzz/engine.js';
import { fuzzRegistry, TARGETS, type TargetContext } from '../fuzz/targets.js';

const DIR = new URL('./regressions/', import.meta.url).pathname;
const vectors = (await readdir(DIR)).filter((name) => name.endsWith('.bin')).sort();
/** Findings whose fix belongs to another package and has not landed: move each to regressions/ once it passes. */
const OPEN_DIR = new URL('./regressions-open/', import.meta.url).pathname;
const openVectors = (await readdir(OPEN_DIR).catch(() => [] as string[])).filter((name) => name.endsWith('.bin')).sort();

describe('fuzzer regression vectors (test/security/regressions)', () => {
  let ctx: TargetContext;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mb-regressions-'));
    ctx = { corpus: await buildCorpus(SERIALIZERS), registry: await fuzzRegistry(SERIALIZERS), scratchPath: join(dir, 'vector.mbnd') };
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('holds at least one vector, each with its description', async () => {
    expect(vectors.length).toBeGreaterThan(0);
    for (const name of vectors) {
      const meta = JSON.parse(await readFile(join(DIR, name.replace(/\.bin$/, '.json')), 'utf8'));
      expect(meta).toMatchObject({ kind: expect.any(String), message: expect.any(String) });
    }
  });

  it.each(vectors)('%s: every target ends in a success or a ModelBundleError, within 1 s, without outsized allocation', async (name) => {
    const bytes = new Uint8Array(await readFile(join(DIR, name)));
    expect(await checkInput(bytes, TARGETS, ctx)).toBeUndefined();
  });

  // Still broken (docs/SECURITY.md, "Known open issue"): these fail until the fix lands, then this test says to move them.
  it.each(openVectors)('%s: still fails as recorded (move it to regressions/ once fixed)', async (name) => {
    const bytes = new Uint8Array(await readFile(join(OPEN_DIR, name)));
    const meta = JSON.parse(await readFile(join(OPEN_DIR, name.replace(/\.bin$/, '.json')), 'utf8'));
    const problem = await checkInput(bytes, TARGETS, ctx);
    expect(problem, `${name} passes now: move it to test/security/regressions/`).toBeDefined();
    expect(problem?.kind).toBe(meta.kind);
  });
});
