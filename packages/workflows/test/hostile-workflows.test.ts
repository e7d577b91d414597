import { createRegistry, encodeBundle, isModelBundleError, type ModelBundleError } from '@modelbundle/core';
import { hasControl } from '@modelbundle/core/internal';
import { type FittedWorkflow, fit, predict, WORKFLOW_SECTIONS, workflowsPlugin } from '@modelbundle/workflows';
import { beforeAll, describe, expect, it } from 'vitest';
import { forgeBundle, sectionTable, takeApart } from '../../../test/security/support/forge.js';
import { checkRows } from '../src/recipe/check-rows.js';
import { OUTCOME, penguins, tinySpec } from './helpers.js';

const registry = () => createRegistry({ autoload: false }).registerPlugin(workflowsPlugin);
/** The server's bound on a whole error body (docs/SECURITY.md). */
const BODY_BOUND = 16 * 1024;
let classifier: FittedWorkflow;

beforeAll(async () => {
  classifier = await fit(tinySpec('sequential', 'classification'), await penguins(), { outcome: OUTCOME.classification, unseenLevels: 'error' });
});

/** The classifier's bundle with its workflow JSON sections edited (digests recomputed, as anyone can). */
async function forgedWorkflow(edit: (doc: { recipe: any; ptype: any; payload: any }) => void): Promise<Uint8Array> {
  const { header, sections } = await takeApart(encodeBundle(await registry().bundle(classifier)));
  const at = (name: string) => header.sections.findIndex((s) => s.name === name);
  const json = (name: string) => JSON.parse(new TextDecoder().decode(sections[at(name)]));
  const doc = { recipe: json(WORKFLOW_SECTIONS.recipe), ptype: json(WORKFLOW_SECTIONS.ptype), payload: header.payload as any };
  edit(doc);
  sections[at(WORKFLOW_SECTIONS.recipe)] = new TextEncoder().encode(JSON.stringify(doc.recipe));
  sections[at(WORKFLOW_SECTIONS.ptype)] = new TextEncoder().encode(JSON.stringify(doc.ptype));
  const table = sectionTable(header.sections.map((s, i) => [s.name, sections[i] as Uint8Array] as const));
  return forgeBundle({ ...header, payload: doc.payload, sections: table }, sections);
}

async function refusal(promise: Promise<unknown>): Promise<ModelBundleError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isModelBundleError(error)) throw new Error(`expected a ModelBundleError, got ${String(error)}`);
  return error;
}

describe('a workflow bundle whose recipe and model disagree is refused at unbundle', () => {
  it('a recipe that makes one feature fewer than the model takes (consistent with its prototype)', async () => {
    const bytes = await forgedWorkflow(({ recipe, ptype }) => {
      const island = recipe.predictors.find((p: { name: string }) => p.name === 'Island');
      island.levels.pop();
      recipe.features = recipe.features.filter((f: string) => f !== 'Island_Torgersen');
      ptype.columns.find((c: { name: string }) => c.name === 'Island').levels.pop();
    });
    const error = await refusal(registry().unbundle(bytes));
    expect(error.code).toBe('MALFORMED');
    expect(error.message).toMatch(/model's input is \[batch, 10\]; the recipe makes 9 features per row/);
  });

  it('outcome levels that do not match the model output width', async () => {
    const bytes = await forgedWorkflow(({ recipe, ptype, payload }) => {
      recipe.outcome.levels.push('Emperor');
      ptype.outcome.levels.push('Emperor');
      payload.levels.push('Emperor');
    });
    const error = await refusal(registry().unbundle(bytes));
    expect(error.code).toBe('MALFORMED');
    expect(error.message).toMatch(/model's output is \[batch, 3\]; the outcome needs 4 values \(one per level\)/);
  });

  it('the honest bundle still loads and predicts', async () => {
    const restored = await registry().unbundle<FittedWorkflow>(encodeBundle(await registry().bundle(classifier)));
    const { Species: _, ...row } = (await penguins())[0] as Record<string, unknown>;
    expect(await predict(restored, [row])).toEqual(await predict(classifier, [row]));
  });
});

describe('row checks stay bounded whatever the rows and the prototype hold', () => {
  const ptype = (levels: number) => ({
    columns: [
      { name: 'colour', type: 'string' as const, levels: Array.from({ length: levels }, (_, i) => `level-${i}`) },
      { name: 'size', type: 'number' as const },
    ],
    outcome: { name: 'y', type: 'number' as const },
  });
  const thrown = (run: () => void): ModelBundleError => {
    try {
      run();
    } catch (error) {
      if (isModelBundleError(error)) return error;
      throw error;
    }
    throw new Error('expected a refusal');
  };

  it('10,000 rows with an unseen level against 30,000 levels: a short message, no per-row list of levels', () => {
    const rows = Array.from({ length: 10_000 }, () => ({ colour: 'mauve', size: 1 }));
    const error = thrown(() => checkRows(ptype(30_000), rows, 'error'));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toMatch(/"colour" in row 0 is "mauve", not one of \[level-0, level-1, .*, \.\.\. \(30000 levels\)\]; .*; and 9995 more/);
    expect(error.message.length).toBeLessThan(BODY_BOUND);
    expect(JSON.stringify(error.details).length).toBeLessThan(BODY_BOUND);
    expect(error.details.counts).toMatchObject({ unseen: 10_000 });
  });

  it('60,000 extra columns and 9,000 rows missing every column: counts, a few examples', () => {
    const wide = Object.fromEntries(Array.from({ length: 60_000 }, (_, i) => [`extra-${i}`, i]));
    const error = thrown(() => checkRows(ptype(3), [{ colour: 'level-0', size: 1, ...wide }, ...Array.from({ length: 9_000 }, () => ({}))], 'error'));
    expect(error.message).toMatch(/extra columns: "extra-0" \(row 0\), .* and 59980 more columns/);
    expect(error.message).toMatch(/missing columns: "colour" \(9000 rows, first 1\), "size" \(9000 rows, first 1\)/);
    expect(error.message.length).toBeLessThan(BODY_BOUND);
    expect(JSON.stringify(error.details).length).toBeLessThan(BODY_BOUND);
    expect(error.details.columns).toEqual({ missing: 2, extra: 60_000 });
  });

  it('a 600 kB string and a value nested 200,000 deep are quoted as short previews', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 200_000; i++) deep = [deep];
    const error = thrown(() => checkRows(ptype(3), [{ colour: 'x'.repeat(600_000), size: deep }], 'error'));
    expect(error.message).toMatch(/"size" in row 0 is an array \(\[\[\[\[/);
    expect(error.message.length).toBeLessThan(2000);
  });

  it('escapes control characters in column names and values', () => {
    const error = thrown(() => checkRows(ptype(3), [{ colour: '\u001b[2Jlevel', size: 1, '\u001b]0;title\u0007': 1 }], 'error'));
    expect(hasControl(error.message)).toBe(false);
    expect(error.message).toContain('\\u001b]0;title\\u0007');
  });
});
