import type { RecipeState } from './types.js';

/** Applies a fitted recipe: one Float32 row of `recipe.features.length` values per input row (rows already checked). */
export function bakePredictors(recipe: RecipeState, rows: readonly Record<string, unknown>[]): Float32Array {
  const width = recipe.features.length;
  const out = new Float32Array(rows.length * width); // zeros: the encoding of a missing or unseen level
  // Each level's position, looked up once per value (indexOf per row was rows x levels).
  const positions = new Map(recipe.predictors.map((step) => [step, step.type === 'nominal' ? new Map(step.levels.map((l, k) => [l, k])) : undefined]));
  for (const [i, row] of rows.entries()) {
    let col = i * width;
    for (const step of recipe.predictors) {
      const v = row[step.name];
      if (step.type === 'numeric') {
        out[col++] = ((typeof v === 'number' ? v : step.fill) - step.mean) / step.sd;
      } else {
        const at = typeof v === 'string' ? positions.get(step)?.get(v) : undefined;
        if (at !== undefined) out[col + at] = 1;
        col += step.levels.length;
      }
    }
  }
  return out;
}

/** Encodes the outcome: one-hot rows over the levels (classification) or scaled values (regression). */
export function bakeOutcome(recipe: RecipeState, rows: readonly Record<string, unknown>[]): { values: Float32Array; width: number } {
  const { outcome } = recipe;
  if (outcome.type === 'numeric') {
    return { values: Float32Array.from(rows, (r) => ((r[outcome.name] as number) - outcome.mean) / outcome.sd), width: 1 };
  }
  const width = outcome.levels.length;
  const values = new Float32Array(rows.length * width);
  for (const [i, row] of rows.entries()) values[i * width + outcome.levels.indexOf(row[outcome.name] as string)] = 1;
  return { values, width };
}
