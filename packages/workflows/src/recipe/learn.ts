import { ModelBundleError } from '@modelbundle/core';
import { describeValue as describe, isRecord } from '@modelbundle/core/internal';
import type { Mode } from '../spec/types.js';
import type { OutcomeStep, PredictorStep, Ptype, RecipeState, UnseenLevelPolicy } from './types.js';

/** How the recipe is learned. */
export interface RecipeOptions {
  /** The column to predict. */
  outcome: string;
  /** Predictor columns, in order (default: every other column of the rows, in first-seen order). */
  predictors?: string[];
  /** Class levels in the order wanted (classification; default: the sorted levels found). */
  levels?: string[];
  /** How missing numeric values are filled (default `mean`). */
  impute?: 'mean' | 'median';
  /** What `predict` does with a nominal level unseen at fit time (default `zero`: all-zero encoding). */
  unseenLevels?: UnseenLevelPolicy;
}

/** Learns a recipe from training rows. Rows whose outcome is missing are dropped (and counted). */
export function learnRecipe(rows: readonly Record<string, unknown>[], mode: Mode, options: RecipeOptions): RecipeState {
  assertRows(rows, 'fit');
  const { outcome } = options;
  if (typeof outcome !== 'string' || !rows.some((r) => Object.hasOwn(r, outcome))) {
    throw new ModelBundleError(
      'INVALID_ARGUMENT',
      `fit() needs options.outcome naming a column of the rows; got ${JSON.stringify(outcome)}. Columns found: ${columnsOf(rows).join(', ')}.`,
    );
  }
  const kept = rows.filter((r) => r[outcome] !== null && r[outcome] !== undefined);
  if (kept.length === 0)
    throw new ModelBundleError('INVALID_INPUT', `Every row has a missing outcome "${outcome}"; nothing to train on. Give rows with an outcome.`);
  const names = options.predictors ?? columnsOf(rows).filter((c) => c !== outcome);
  if (names.length === 0 || names.includes(outcome)) {
    throw new ModelBundleError(
      'INVALID_ARGUMENT',
      `The predictors are [${names.join(', ')}]; expected at least one column other than the outcome "${outcome}".`,
    );
  }
  const problems: string[] = [];
  const predictors = names.map((name) => learnPredictor(kept, name, options.impute ?? 'mean', problems));
  const outcomeStep = learnOutcome(kept, outcome, mode, options.levels, problems);
  if (problems.length > 0 || !outcomeStep) {
    throw new ModelBundleError('INVALID_INPUT', `The training rows cannot be used: ${problems.join('; ')}. Fix the data or choose other predictors.`, {
      details: { problems },
    });
  }
  return {
    predictors: predictors.filter((p): p is PredictorStep => p !== undefined),
    features: predictors.flatMap((p) => (!p ? [] : p.type === 'numeric' ? [p.name] : p.levels.map((l) => `${p.name}_${l}`))),
    impute: options.impute ?? 'mean',
    unseenLevels: options.unseenLevels ?? 'zero',
    outcome: outcomeStep,
    rows: kept.length,
    dropped: rows.length - kept.length,
  };
}

function learnPredictor(rows: readonly Record<string, unknown>[], name: string, impute: 'mean' | 'median', problems: string[]): PredictorStep | undefined {
  const numbers: number[] = [];
  const strings = new Set<string>();
  for (const [i, row] of rows.entries()) {
    const v = row[name];
    if (v === null || v === undefined) continue;
    if (typeof v === 'number' && Number.isFinite(v)) numbers.push(v);
    else if (typeof v === 'string') strings.add(v);
    else {
      problems.push(
        `column "${name}" holds ${typeof v === 'number' ? String(v) : describe(v)} in row ${i}; expected a finite number, a string, or null for missing`,
      );
      return undefined;
    }
  }
  if (numbers.length > 0 && strings.size > 0) {
    problems.push(`column "${name}" mixes numbers and strings; expected one type per column`);
    return undefined;
  }
  if (strings.size > 0) return { name, type: 'nominal', levels: [...strings].sort() };
  if (numbers.length === 0) {
    problems.push(`column "${name}" has no values at all`);
    return undefined;
  }
  const { mean, sd } = meanAndSd(numbers);
  return { name, type: 'numeric', mean, sd, fill: impute === 'median' ? median(numbers) : mean };
}

function learnOutcome(
  rows: readonly Record<string, unknown>[],
  name: string,
  mode: Mode,
  levels: string[] | undefined,
  problems: string[],
): OutcomeStep | undefined {
  const values = rows.map((r) => r[name]);
  if (mode === 'regression') {
    const bad = values.findIndex((v) => typeof v !== 'number' || !Number.isFinite(v));
    if (bad >= 0) {
      problems.push(`the regression outcome "${name}" holds ${JSON.stringify(values[bad])}; expected finite numbers`);
      return undefined;
    }
    return { name, type: 'numeric', ...meanAndSd(values as number[]) };
  }
  const bad = values.findIndex((v) => typeof v !== 'string');
  if (bad >= 0) {
    problems.push(`the class outcome "${name}" holds ${JSON.stringify(values[bad])}; expected strings (class labels)`);
    return undefined;
  }
  const found = [...new Set(values as string[])].sort();
  const ordered = levels ?? found;
  const unknown = found.filter((l) => !ordered.includes(l));
  if (unknown.length > 0) {
    problems.push(`the outcome has levels [${unknown.join(', ')}] that options.levels [${ordered.join(', ')}] does not list`);
    return undefined;
  }
  if (ordered.length < 2) {
    problems.push(`the class outcome "${name}" has ${ordered.length} level; expected at least 2`);
    return undefined;
  }
  return { name, type: 'nominal', levels: [...ordered] };
}

/** The input prototype a recipe implies. */
export function ptypeOf(recipe: RecipeState): Ptype {
  const { outcome } = recipe;
  return {
    columns: recipe.predictors.map((p) => (p.type === 'numeric' ? { name: p.name, type: 'number' } : { name: p.name, type: 'string', levels: [...p.levels] })),
    outcome: outcome.type === 'nominal' ? { name: outcome.name, type: 'string', levels: [...outcome.levels] } : { name: outcome.name, type: 'number' },
  };
}

/** Throws INVALID_INPUT unless `rows` is an array of plain objects. */
export function assertRows(rows: unknown, verb: string): asserts rows is Record<string, unknown>[] {
  if (!Array.isArray(rows))
    throw new ModelBundleError('INVALID_INPUT', `${verb}() needs an array of row objects; got ${describe(rows)}. Pass rows like [{ column: value, ... }].`);
  const bad = rows.findIndex((r) => !isRecord(r));
  if (bad >= 0) throw new ModelBundleError('INVALID_INPUT', `Row ${bad} is ${describe(rows[bad])}; expected an object of column values.`);
}

function columnsOf(rows: readonly Record<string, unknown>[]): string[] {
  const seen = new Set<string>();
  for (const row of rows) for (const key of Object.keys(row)) seen.add(key);
  return [...seen];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Mean and sample standard deviation; a constant column scales by 1, not by 0. */
function meanAndSd(numbers: readonly number[]): { mean: number; sd: number } {
  const mean = numbers.reduce((a, b) => a + b, 0) / numbers.length;
  const sd = Math.sqrt(numbers.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, numbers.length - 1));
  return { mean, sd: sd > 0 ? sd : 1 };
}
