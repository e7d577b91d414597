import { expectCode } from '@modelbundle/testing';
import { type FittedWorkflow, fit, predict } from '@modelbundle/workflows';
import { beforeAll, describe, expect, it } from 'vitest';
import { OUTCOME, penguins, type Row, tinySpec } from './helpers.js';

let classifier: FittedWorkflow;
let strict: FittedWorkflow;
let regressor: FittedWorkflow;
let good: Row;

beforeAll(async () => {
  const data = await penguins();
  classifier = await fit(tinySpec('sequential', 'classification'), data, { outcome: OUTCOME.classification });
  strict = await fit(tinySpec('sequential', 'classification'), data, { outcome: OUTCOME.classification, unseenLevels: 'error', impute: 'median' });
  regressor = await fit(tinySpec('sequential', 'regression'), data, { outcome: OUTCOME.regression });
  const { Species: _, ...rest } = data[0]!;
  good = rest;
});

describe('predict checks rows against the input prototype', () => {
  it('keeps the prototype as column names and types, with levels', () => {
    expect(classifier.ptype.columns).toEqual([
      { name: 'Island', type: 'string', levels: ['Biscoe', 'Dream', 'Torgersen'] },
      { name: 'Beak Length (mm)', type: 'number' },
      { name: 'Beak Depth (mm)', type: 'number' },
      { name: 'Flipper Length (mm)', type: 'number' },
      { name: 'Body Mass (g)', type: 'number' },
      { name: 'Sex', type: 'string', levels: ['.', 'FEMALE', 'MALE'] },
    ]);
    expect(classifier.ptype.outcome).toEqual({ name: 'Species', type: 'string', levels: ['Adelie', 'Chinstrap', 'Gentoo'] });
    expect(classifier.levels).toEqual(['Adelie', 'Chinstrap', 'Gentoo']);
  });

  it('one INVALID_INPUT lists missing, extra and mistyped columns and NaN together', async () => {
    const { Island: _, ...noIsland } = good;
    const error = await expectCode(
      predict(classifier, [good, noIsland, { ...good, Colour: 'blue' }, { ...good, 'Beak Length (mm)': '39.1' }, { ...good, 'Body Mass (g)': Number.NaN }]),
      'INVALID_INPUT',
    );
    expect(error.message).toMatch(/missing columns: "Island" \(row 1\)/);
    expect(error.message).toMatch(/extra columns: "Colour" \(row 2\)/);
    expect(error.message).toMatch(/wrong types: "Beak Length \(mm\)" in row 3 is a string \("39.1"\), expected a number/);
    expect(error.message).toMatch(/not finite .*"Body Mass \(g\)" in row 4 is NaN/);
    expect(error.message).toContain('Expected columns');
    expect(error.details).toMatchObject({ missing: { Island: [1] }, extra: { Colour: [2] } });
  });

  it('reports Infinity and a nominal column given a number', async () => {
    const error = await expectCode(predict(classifier, [{ ...good, 'Flipper Length (mm)': Number.POSITIVE_INFINITY, Island: 3 }]), 'INVALID_INPUT');
    expect(error.message).toContain('"Flipper Length (mm)" in row 0 is Infinity');
    expect(error.message).toContain('"Island" in row 0 is a number (3), expected a string');
  });

  it('unseen levels: all-zero encoding by default, INVALID_INPUT with unseenLevels "error"', async () => {
    const mars = { ...good, Island: 'Mars' };
    const [prob] = await predict(classifier, [mars], { type: 'prob' });
    expect(Object.keys(prob!)).toEqual(['.pred_Adelie', '.pred_Chinstrap', '.pred_Gentoo']);
    // All-zero encoding for Island is exactly what a missing Island gives.
    expect(await predict(classifier, [mars], { type: 'prob' })).toEqual(await predict(classifier, [{ ...good, Island: null }], { type: 'prob' }));
    const error = await expectCode(predict(strict, [good, mars]), 'INVALID_INPUT');
    expect(error.message).toContain('"Island" in row 1 is "Mars", not one of [Biscoe, Dream, Torgersen]');
  });

  it('null and undefined mean missing: numbers are imputed, levels encoded as zeros', async () => {
    const missing = { Island: null, 'Beak Length (mm)': null, 'Beak Depth (mm)': undefined, 'Flipper Length (mm)': null, 'Body Mass (g)': null, Sex: null };
    const out = await predict(classifier, [missing], { type: 'prob' });
    expect(Object.values(out[0]!).every(Number.isFinite)).toBe(true);
    // Imputing with the training mean is the same as giving the mean.
    const means = Object.fromEntries(regressor.recipe.predictors.map((p) => [p.name, p.type === 'numeric' ? p.mean : null]));
    const regressorMissing = { Species: null, Island: null, 'Beak Length (mm)': null, 'Beak Depth (mm)': null, 'Flipper Length (mm)': null, Sex: null };
    expect(await predict(regressor, [regressorMissing])).toEqual(await predict(regressor, [means]));
  });

  it('the outcome column may be present in the rows; it is ignored', async () => {
    expect(await predict(classifier, [{ ...good, Species: 'Gentoo' }], { type: 'prob' })).toEqual(await predict(classifier, [good], { type: 'prob' }));
  });

  it('refuses non-arrays, non-object rows, empty input and types that do not fit the mode', async () => {
    await expectCode(predict(classifier, 'rows' as never), 'INVALID_INPUT');
    await expectCode(predict(classifier, [good, 5 as never]), 'INVALID_INPUT', 'Row 1');
    await expectCode(predict(classifier, []), 'INVALID_INPUT');
    await expectCode(predict(classifier, [good], { type: 'numeric' }), 'INVALID_ARGUMENT');
    await expectCode(predict(regressor, [good], { type: 'prob' }), 'INVALID_ARGUMENT');
    await expectCode(predict({ kind: 'something else' }, [good]), 'INVALID_ARGUMENT');
  });

  it('gives one row per input row: classes from the levels, probabilities summing to 1, numbers in the outcome units', async () => {
    const data = await penguins();
    const rows = data.slice(0, 50).map(({ Species: _, ...rest }) => rest);
    const classes = await predict(classifier, rows);
    expect(classes).toHaveLength(50);
    for (const row of classes) expect(classifier.levels).toContain(row['.pred_class']);
    const probs = await predict(classifier, rows, { type: 'prob' });
    for (const [i, row] of probs.entries()) {
      const values = Object.values(row) as number[];
      expect(values.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      const best = classifier.levels![values.indexOf(Math.max(...values))];
      expect(classes[i]!['.pred_class']).toBe(best);
    }
    const masses = await predict(
      regressor,
      data.slice(0, 50).map(({ 'Body Mass (g)': _, ...rest }) => rest),
    );
    const mean = masses.reduce((a, r) => a + (r['.pred'] as number), 0) / masses.length;
    expect(mean).toBeGreaterThan(2500);
    expect(mean).toBeLessThan(6500);
  });
});
