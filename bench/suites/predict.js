import {
  bakePredictors,
  fit as fitWorkflow,
  liveModelOf,
  predict,
  readFitted,
  sequentialSpec,
  workflowReplacer,
  workflowReviver,
} from '@modelbundle/workflows';
import { loadPenguins } from '@modelbundle/workflows/demo';
import * as tf from '@tensorflow/tfjs-core';
import { compare } from '../lib/compare.js';

/** One-row predictions per timed run: one takes a fraction of a millisecond, so each run times many (per-call figures). */
const ONE_ROW_CALLS = 200;

/**
 * Predicting with a fitted workflow restored from a JSON copy (its model
 * rebuilt from the captured bytes on first use) against the raw tfjs model
 * on the same batch. `raw` gets the features already baked; `raw+bake`
 * bakes them too, which is the work a workflow cannot skip.
 */
export async function predictSuite({ quick, runs }) {
  const penguins = await loadPenguins();
  const spec = sequentialSpec({
    mode: 'classification',
    blocks: [{ block: 'dense', repeat: 2, args: { units: 64 } }],
    fit: { epochs: 1, batchSize: 64, seed: 1 },
  });
  const fitted = await fitWorkflow(spec, penguins, { outcome: 'Species' });
  const copy = JSON.parse(JSON.stringify(fitted, workflowReplacer), workflowReviver);
  const rows = Array.from({ length: quick ? 4 : 8 }, () => penguins).flat();
  const data = readFitted(fitted);
  const model = liveModelOf(fitted);
  const width = data.recipe.features.length;
  const baked = bakePredictors(data.recipe, rows);
  const raw = () => tf.tidy(() => model.predict(tf.tensor2d(baked, [rows.length, width])).dataSync());
  const rawBake = () => tf.tidy(() => model.predict(tf.tensor2d(bakePredictors(data.recipe, rows), [rows.length, width])).dataSync());
  const restoreStart = performance.now();
  const first = await predict(copy, rows, { type: 'prob' });
  const restoreMs = performance.now() - restoreStart;
  // Same numbers from the restored copy as from the live model.
  const direct = raw();
  const levels = data.recipe.outcome.levels;
  const worst = Math.max(...first.map((r, i) => Math.max(...levels.map((l, k) => Math.abs(r[`.pred_${l}`] - direct[i * levels.length + k])))));
  if (worst > 1e-6) throw new Error(`restored workflow predicts differently (max |diff| ${worst})`);
  const result = await compare({ workflow: () => predict(copy, rows, { type: 'prob' }), raw, 'raw+bake': rawBake }, { runs: Math.max(runs, 9), warmup: 3 });
  const ratio = result.ratio['workflow/raw'].median;
  // Batch 1: one row, where validation and baking per call weigh the most against the model's own work.
  const row = [penguins[0]];
  const bakedRow = bakePredictors(data.recipe, row);
  const one = await compare(
    {
      workflow: () => predict(copy, row, { type: 'prob' }),
      raw: () => tf.tidy(() => model.predict(tf.tensor2d(bakedRow, [1, width])).dataSync()),
    },
    { runs: quick ? 21 : 41, warmup: 3, calls: ONE_ROW_CALLS },
  );
  const oneRatio = one.ratio['workflow/raw'].median;
  return {
    rows: rows.length,
    features: width,
    firstPredictWithRestoreMs: Number(restoreMs.toFixed(1)),
    ...result,
    target: { target: 1.05, value: ratio, met: ratio <= 1.05 },
    batch1: { ...one, calls: ONE_ROW_CALLS, target: { target: 1.1, value: oneRatio, met: oneRatio <= 1.1 } },
  };
}
