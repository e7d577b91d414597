import { ModelBundleError } from '@modelbundle/core';
import { listSome, preview } from '@modelbundle/core/internal';
import { checkRequestOutputs } from '@modelbundle/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import { type FittedWorkflowData, readFitted } from './fitted.js';
import { type RestoreOptions, restoreModel } from './live-model.js';
import { bakePredictors } from './recipe/bake.js';
import { checkRows } from './recipe/check-rows.js';

/** What `predict` returns: `numeric` (regression), `class` or `prob` (classification). */
export type PredictionType = 'numeric' | 'class' | 'prob';

/** Options of {@link predict}; `trustedKeys` refuses a copy whose model bytes are not signed by one of them. */
export interface PredictOptions extends RestoreOptions {
  /** Default `class` for classification, `numeric` for regression. */
  type?: PredictionType;
}

/**
 * One output row per input row, named as tidymodels does:
 * `{ '.pred': number }` (numeric), `{ '.pred_class': level }` (class) or
 * `{ '.pred_<level>': probability, ... }` for each class level in order (prob).
 */
export type PredictionRow = Record<string, number | string>;

/** The prediction types a workflow of this mode supports. */
export function predictionTypes(data: Pick<FittedWorkflowData, 'mode'>): PredictionType[] {
  return data.mode === 'classification' ? ['class', 'prob'] : ['numeric'];
}

/**
 * Predicts with a fitted workflow or any copy of it. Checks the rows against
 * the input prototype, applies the recipe, restores the model from its bytes
 * when this object has no live model (once, shared by concurrent calls), and
 * predicts. Throws INVALID_INPUT for bad rows and MODEL_NOT_CAPTURED when a
 * copy holds no model bytes.
 */
export async function predict(workflow: unknown, rows: readonly unknown[], options: PredictOptions = {}): Promise<PredictionRow[]> {
  const data = readFitted(workflow);
  const types = predictionTypes(data);
  const type = options.type ?? types[0]!;
  if (!types.includes(type)) {
    throw new ModelBundleError(
      'INVALID_ARGUMENT',
      `Prediction type "${type}" does not apply to a ${data.mode} workflow; use ${types.map((t) => `"${t}"`).join(' or ')}.`,
    );
  }
  checkRows(data.ptype, rows, data.recipe.unseenLevels);
  if (rows.length === 0) {
    throw new ModelBundleError(
      'INVALID_INPUT',
      `predict() got no rows; expected at least one row with columns ${listSome(
        data.ptype.columns.map((c) => preview(c.name)),
        20,
      )}.`,
    );
  }
  const model = await restoreModel(workflow as object, data, options.trustedKeys ? { trustedKeys: options.trustedKeys } : {});
  const width = data.recipe.features.length;
  // Before any layer runs: a model whose layers grow their outputs is refused past the request budget.
  checkRequestOutputs(model, [[rows.length, width]]);
  // The values are read outside tidy: a typed array returned from tidy is walked element by element for tensors.
  const output = tf.tidy(() => model.predict(tf.tensor2d(bakePredictors(data.recipe, rows), [rows.length, width])) as tf.Tensor);
  let values: Float32Array;
  try {
    values = output.dataSync() as Float32Array;
  } finally {
    output.dispose();
  }
  const outcome = data.recipe.outcome;
  if (outcome.type === 'numeric') return Array.from(values, (v) => ({ '.pred': v * outcome.sd + outcome.mean }));
  const levels = outcome.levels;
  const n = levels.length;
  if (type === 'prob') {
    const names = levels.map((level) => `.pred_${level}`);
    return rows.map((_, i) => {
      const row: PredictionRow = {};
      for (let k = 0; k < n; k++) row[names[k]!] = values[i * n + k]!;
      return row;
    });
  }
  return rows.map((_, i) => {
    let best = 0;
    for (let k = 1; k < n; k++) if (values[i * n + k]! > values[i * n + best]!) best = k;
    return { '.pred_class': levels[best]! };
  });
}
