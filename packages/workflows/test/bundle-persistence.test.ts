import { join } from 'node:path';
import { createBundle, createRegistry, decodeBundle, encodeBundle, inspect } from '@modelbundle/core';
import { writeBundle } from '@modelbundle/core/node';
import { expectCode } from '@modelbundle/testing';
import { FittedWorkflow, liveModelOf, predict, WORKFLOW_SECTIONS, workflowsPlugin } from '@modelbundle/workflows';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Case, fitCases, REPO_ROOT, runScript, scratchDir } from './helpers.js';

// Strategy 2: bundle / unbundle. A fresh process that imports only @modelbundle/core must predict identically.
let cases: Case[];
let expected: Map<string, Record<string, unknown>>;
let scratch: Awaited<ReturnType<typeof scratchDir>>;
const registry = () => createRegistry({ autoload: false }).registerPlugin(workflowsPlugin);

beforeAll(async () => {
  cases = await fitCases();
  expected = new Map();
  for (const c of cases) {
    const out: Record<string, unknown> = {};
    for (const type of c.types) out[type] = await predict(c.workflow, c.rows, { type });
    expected.set(c.name, out);
  }
  scratch = await scratchDir();
});
afterAll(() => scratch?.cleanup());

describe('strategy 2: bundle / unbundle', () => {
  it('writes the recipe, spec, prototype and history as sections, and the model bytes captured at fit time as one embedded bundle', async () => {
    const c = cases[0]!;
    const bytes = encodeBundle(await registry().bundle(c.workflow));
    const { header } = await inspect(bytes);
    expect(header.kind).toBe('workflows.fitted');
    expect(header.serializer.package).toBe('@modelbundle/workflows');
    expect(header.serializer.plugin).toBe('workflowsPlugin');
    expect(header.ptype).toEqual(c.workflow.ptype);
    expect(header.requires).toHaveProperty('@modelbundle/workflows');
    expect(header.requires).toHaveProperty('@tensorflow/tfjs-layers');
    expect(header.summary).toMatchObject({ mode: 'classification', outcome: 'Species', levels: ['Adelie', 'Chinstrap', 'Gentoo'] });
    const names = header.sections.map((s) => s.name);
    for (const name of Object.values(WORKFLOW_SECTIONS)) expect(names).toContain(name);
    const decoded = await decodeBundle(bytes);
    const embedded = decoded.sections.get(WORKFLOW_SECTIONS.model)!;
    // Byte for byte what fit() captured, at a 64-byte aligned offset so its weight sections stay aligned.
    expect(embedded).toEqual(c.workflow.modelBytes);
    expect(header.sections.find((s) => s.name === WORKFLOW_SECTIONS.model)!.offset % 64).toBe(0);
    const model = await decodeBundle(embedded);
    expect(model.header.kind).toMatch(/^tfjs\.(sequential|functional)$/);
    expect(model.header.sections.map((s) => s.name)).toContain('topology.json');
    expect(header.summary.model).toEqual(model.header.summary);
    const recipe = JSON.parse(new TextDecoder().decode(decoded.sections.get(WORKFLOW_SECTIONS.recipe)));
    expect(recipe).toEqual(c.workflow.recipe);
  });

  it('unbundles in this process to a workflow with a live model and fresh bytes, predicting the same numbers', async () => {
    for (const c of cases) {
      const bytes = encodeBundle(await registry().bundle(c.workflow));
      const restored = await registry().unbundle<FittedWorkflow>(bytes);
      expect(restored).toBeInstanceOf(FittedWorkflow);
      expect(liveModelOf(restored)).toBeDefined();
      expect(restored.modelBytes).toBeInstanceOf(Uint8Array);
      for (const type of c.types) expect(await predict(restored, c.rows, { type })).toEqual(expected.get(c.name)![type]);
      // The unbundled workflow is plain data again: strategy 1 still works on it.
      expect(await predict(structuredClone(restored), c.rows, { type: c.types[0]! })).toEqual(expected.get(c.name)![c.types[0]!]);
    }
  });

  it('bundles a copy that has no live model (restoring it from the bytes first)', async () => {
    const c = cases[1]!;
    const copy = structuredClone(c.workflow);
    const restored = await registry().unbundle(encodeBundle(await registry().bundle(copy)));
    expect(await predict(restored, c.rows, { type: 'numeric' })).toEqual(expected.get(c.name)!.numeric);
  });

  it('refuses a bundle whose workflow sections were rewritten (with fresh digests) with MALFORMED', async () => {
    const c = cases[0]!;
    const original = await decodeBundle(encodeBundle(await registry().bundle(c.workflow)));
    const { format: _format, sections: _table, ...draft } = original.header;
    const recipe = { ...c.workflow.recipe, features: c.workflow.recipe.features.slice(1) };
    const sections = [...original.sections].map(
      ([name, bytes]) => [name, name === WORKFLOW_SECTIONS.recipe ? new TextEncoder().encode(JSON.stringify(recipe)) : bytes] as const,
    );
    const forged = encodeBundle(await createBundle(draft, sections));
    await expectCode(registry().unbundle(forged), 'MALFORMED', 'recipe.features lists');
  });

  it('predict refuses a copy whose data was altered, with INVALID_ARGUMENT', async () => {
    const c = cases[0]!;
    const copy = structuredClone(c.workflow);
    copy.recipe.predictors.pop();
    await expectCode(predict(copy, c.rows), 'INVALID_ARGUMENT', 'damaged');
  });

  it('a fresh node process importing only @modelbundle/core autoloads the plugin and predicts identically', async () => {
    const files: Record<string, { file: string; rows: unknown[]; types: string[] }> = {};
    for (const [i, c] of cases.entries()) {
      const file = join(scratch.dir, `workflow-${i}.mbnd`);
      await writeBundle(file, await registry().bundle(c.workflow));
      files[c.name] = { file, rows: c.rows, types: c.types };
    }
    const plan = join(scratch.dir, 'plan.json');
    await import('node:fs/promises').then((fs) => fs.writeFile(plan, JSON.stringify(files)));
    // The script imports nothing but @modelbundle/core; it runs from the repository root, like an application.
    const stdout = await runScript(
      join(scratch.dir, 'core-only.mjs'),
      `import { readFileSync } from 'node:fs';
import { defaultRegistry, inspect, unbundle } from '@modelbundle/core';
const plan = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const out = {};
for (const [name, c] of Object.entries(plan)) {
  const bytes = readFileSync(c.file);
  const { header } = await inspect(bytes);
  const workflow = await unbundle(bytes, { requirements: 'strict' });
  const predictor = defaultRegistry.predictor(header.kind, workflow);
  out[name] = { types: predictor.types, ptype: predictor.ptype };
  for (const type of c.types) out[name][type] = await predictor.predict(c.rows, { type });
}
out.registered = defaultRegistry.list().map((s) => s.kind);
process.stdout.write(JSON.stringify(out));
`,
      { args: [plan], cwd: REPO_ROOT },
    );
    const fromChild = JSON.parse(stdout);
    expect(fromChild.registered).toEqual(['workflows.fitted']);
    for (const c of cases) {
      const got = fromChild[c.name];
      expect(got.types).toEqual(c.types);
      expect(got.ptype).toEqual(c.workflow.ptype);
      for (const type of c.types) expect(got[type]).toEqual(expected.get(c.name)![type]);
    }
  });
});
