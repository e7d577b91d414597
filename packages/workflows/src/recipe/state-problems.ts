import { isRecord } from '@modelbundle/core/internal';

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');

/**
 * What is wrong with a recipe and prototype read from a copy or a bundle
 * (empty when they are sound), so damaged data fails with a clear error
 * instead of producing wrong numbers.
 */
export function recipeProblems(recipe: unknown, ptype: unknown): string[] {
  const problems: string[] = [];
  if (!isRecord(recipe) || !Array.isArray(recipe.predictors) || !strings(recipe.features)) return ['recipe must hold predictors and features'];
  let width = 0;
  for (const [i, step] of recipe.predictors.entries()) {
    if (!isRecord(step) || typeof step.name !== 'string') problems.push(`recipe.predictors[${i}] has no name`);
    else if (step.type === 'numeric') {
      if (!finite(step.mean) || !finite(step.sd) || step.sd === 0 || !finite(step.fill))
        problems.push(`recipe.predictors[${i}] ("${step.name}") needs finite mean, sd and fill`);
      width += 1;
    } else if (step.type === 'nominal' && strings(step.levels)) width += step.levels.length;
    else problems.push(`recipe.predictors[${i}] ("${step.name}") is neither numeric nor nominal with levels`);
  }
  if (width !== recipe.features.length) problems.push(`recipe.features lists ${recipe.features.length} columns; the predictors make ${width}`);
  const outcome = recipe.outcome;
  const outcomeOk =
    isRecord(outcome) &&
    typeof outcome.name === 'string' &&
    ((outcome.type === 'nominal' && strings(outcome.levels) && outcome.levels.length >= 2) ||
      (outcome.type === 'numeric' && finite(outcome.mean) && finite(outcome.sd) && outcome.sd !== 0));
  if (!outcomeOk) problems.push('recipe.outcome must be nominal with levels or numeric with mean and sd');
  if (recipe.unseenLevels !== 'zero' && recipe.unseenLevels !== 'error') problems.push('recipe.unseenLevels must be "zero" or "error"');
  if (!isRecord(ptype) || !Array.isArray(ptype.columns) || !isRecord(ptype.outcome)) problems.push('ptype must hold columns and outcome');
  else if (ptype.columns.length !== recipe.predictors.length)
    problems.push(`ptype lists ${ptype.columns.length} columns; the recipe has ${recipe.predictors.length}`);
  return problems;
}
