import { disposeModel, type FittedWorkflow, fit, liveModelOf, predict, restoreModel } from '@modelbundle/workflows';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { OUTCOME, penguins, type Row, tinySpec } from './helpers.js';

let workflow: FittedWorkflow;
let rows: Row[];
let expected: unknown;

beforeAll(async () => {
  const data = await penguins();
  workflow = await fit(tinySpec('functional', 'classification'), data, { outcome: OUTCOME.classification });
  rows = data.slice(100, 120).map(({ Species: _, ...rest }) => rest);
  expected = await predict(workflow, rows, { type: 'prob' });
});

describe('predict-time restore', () => {
  it('concurrent predicts on a copy share one restore: one model is built, and all answers match the original', async () => {
    // What one restore adds to tfjs memory, measured on a copy predicting alone.
    const single = structuredClone(workflow);
    const beforeSingle = tf.memory().numTensors;
    await predict(single, rows);
    const oneModel = tf.memory().numTensors - beforeSingle;
    expect(oneModel).toBeGreaterThanOrEqual(liveModelOf(single)!.weights.length);

    const copy = structuredClone(workflow);
    const before = tf.memory().numTensors;
    const first = restoreModel(copy, copy);
    expect(restoreModel(copy, copy)).toBe(first); // the same pending promise, not a second restore
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => predict(copy, rows, { type: i % 2 ? 'class' : 'prob' })));
    expect(tf.memory().numTensors - before).toBe(oneModel);
    expect(liveModelOf(copy)).toBe(await first);
    for (const [i, result] of results.entries()) if (i % 2 === 0) expect(result).toEqual(expected);
  });

  it('a disposed model is restored from the bytes on the next predict', async () => {
    const copy = structuredClone(workflow);
    await predict(copy, rows);
    const firstModel = liveModelOf(copy)!;
    disposeModel(copy);
    expect(liveModelOf(copy)).toBeUndefined();
    expect(await predict(copy, rows, { type: 'prob' })).toEqual(expected);
    expect(liveModelOf(copy)).not.toBe(firstModel);
  });

  it("a model disposed behind the workflow's back is noticed and restored", async () => {
    const copy = structuredClone(workflow);
    await predict(copy, rows);
    liveModelOf(copy)!.dispose();
    expect(liveModelOf(copy)).toBeUndefined();
    expect(await predict(copy, rows, { type: 'prob' })).toEqual(expected);
  });

  it('predict on the original uses its live model, with no restore', async () => {
    const model = liveModelOf(workflow);
    const before = tf.memory().numTensors;
    await predict(workflow, rows);
    expect(tf.memory().numTensors).toBe(before);
    expect(liveModelOf(workflow)).toBe(model);
  });
});
