import { isModelBundleError } from '@modelbundle/core';
import { bakePredictors, type NumericStep } from '@modelbundle/workflows';
import { describe, expect, it } from 'vitest';
import { learnRecipe } from '../src/recipe/learn.js';

const rows = [
  { y: 'b', x: 1, z: 'p', w: 10 },
  { y: 'a', x: 3, z: 'q', w: null },
  { y: 'b', x: null, z: null, w: 20 },
  { y: 'c', x: 8, z: 'p', w: 30 },
  { y: null, x: 100, z: 'r', w: 40 },
];

describe('the preprocessing recipe is learned at fit time and kept as data', () => {
  it('normalizes numbers, one-hot encodes strings, keeps class levels sorted, drops rows with a missing outcome', () => {
    const recipe = learnRecipe(rows, 'classification', { outcome: 'y' });
    expect(recipe.rows).toBe(4);
    expect(recipe.dropped).toBe(1);
    expect(recipe.outcome).toEqual({ name: 'y', type: 'nominal', levels: ['a', 'b', 'c'] });
    expect(recipe.features).toEqual(['x', 'z_p', 'z_q', 'w']);
    const x = recipe.predictors[0] as NumericStep;
    expect(x.mean).toBeCloseTo(4, 10); // of 1, 3, 8 (the row with y = null is not used)
    expect(x.sd).toBeCloseTo(Math.sqrt(13), 10);
    expect(x.fill).toBe(x.mean);
    expect(JSON.parse(JSON.stringify(recipe))).toEqual(recipe);
  });

  it('imputes with the median on request, and bakes missing numbers to the fill value', () => {
    const recipe = learnRecipe(rows, 'classification', { outcome: 'y', impute: 'median' });
    const x = recipe.predictors[0] as NumericStep;
    expect(x.fill).toBe(3);
    const baked = bakePredictors(recipe, [{ x: null, z: 'q', w: 20 }]);
    expect(baked[0]).toBeCloseTo((3 - x.mean) / x.sd, 6);
    expect(Array.from(baked.slice(1, 3))).toEqual([0, 1]);
  });

  it('encodes unseen and missing levels as all zeros', () => {
    const recipe = learnRecipe(rows, 'classification', { outcome: 'y' });
    const baked = bakePredictors(recipe, [
      { x: 1, z: 'zz', w: 10 },
      { x: 1, z: null, w: 10 },
    ]);
    expect(Array.from(baked.slice(1, 3))).toEqual([0, 0]);
    expect(Array.from(baked.slice(5, 7))).toEqual([0, 0]);
  });

  it('keeps class levels in the order given, and refuses levels it does not list', () => {
    expect(learnRecipe(rows, 'classification', { outcome: 'y', levels: ['c', 'b', 'a'] }).outcome).toMatchObject({ levels: ['c', 'b', 'a'] });
    const error = (() => {
      try {
        learnRecipe(rows, 'classification', { outcome: 'y', levels: ['a', 'b'] });
      } catch (e) {
        return e;
      }
    })();
    expect(isModelBundleError(error, 'INVALID_INPUT')).toBe(true);
    expect((error as Error).message).toContain('[c]');
  });

  it('scales a regression outcome (undone at predict time)', () => {
    const recipe = learnRecipe(rows, 'regression', { outcome: 'x', predictors: ['w'] });
    expect(recipe.outcome).toMatchObject({ name: 'x', type: 'numeric' });
    expect(recipe.dropped).toBe(1);
  });

  it('refuses training data it cannot use, saying what and where', () => {
    const attempt = (data: Record<string, unknown>[], outcome = 'y') => {
      try {
        learnRecipe(data, 'classification', { outcome });
      } catch (e) {
        return isModelBundleError(e) ? `${e.code}: ${e.message}` : String(e);
      }
      return 'no error';
    };
    expect(
      attempt([
        { y: 'a', x: 1 },
        { y: 'b', x: 'two' },
      ]),
    ).toContain('column "x" mixes numbers and strings');
    expect(
      attempt([
        { y: 'a', x: Number.NaN },
        { y: 'b', x: 1 },
      ]),
    ).toContain('column "x" holds NaN in row 0');
    expect(
      attempt([
        { y: 'a', x: true },
        { y: 'b', x: 1 },
      ]),
    ).toContain('column "x" holds a boolean');
    expect(attempt([{ y: 'a', x: 1 }], 'nope')).toMatch(/^INVALID_ARGUMENT.*Columns found: y, x/);
    expect(attempt([{ y: 'a', x: 1 }])).toContain('has 1 level');
  });
});
