import { type KeyInput, ModelBundleError } from '@modelbundle/core';
import { ensureBackend } from '@modelbundle/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import { captureModel } from './capture.js';
import { FittedWorkflow, type TrainingHistory } from './fitted.js';
import { attachModel } from './live-model.js';
import { bakeOutcome, bakePredictors } from './recipe/bake.js';
import { learnRecipe, ptypeOf, type RecipeOptions } from './recipe/learn.js';
import type { BlockBuilder } from './spec/blocks.js';
import { buildModel, compileModel } from './spec/build.js';
import type { ModelSpec } from './spec/types.js';
import { assertSpec } from './spec/validate.js';

/** Options of {@link fit}: which column to predict, how to preprocess, and extra block builders. */
export interface FitOptions extends RecipeOptions {
  /** Block builders for this call only, by name (they win over registered and built-in blocks). */
  blocks?: Record<string, BlockBuilder>;
  /** An Ed25519 private key: the captured model bytes are signed with it, so `predict(copy, rows, { trustedKeys })` can authenticate a copy. */
  signingKey?: KeyInput;
}

/**
 * Fits a workflow: learns the recipe from `rows`, builds the model the spec
 * describes (input width and class count come from the data), trains it,
 * and captures its bytes. Rows whose outcome is missing are dropped.
 * If capture fails, emits a `MODELBUNDLE_CAPTURE_FAILED` warning and the
 * workflow predicts only in this process.
 */
export async function fit(spec: ModelSpec, rows: readonly Record<string, unknown>[], options: FitOptions): Promise<FittedWorkflow> {
  assertSpec(spec);
  if (typeof options !== 'object' || options === null) {
    throw new ModelBundleError('INVALID_ARGUMENT', 'fit(spec, rows, options) needs options with at least { outcome: "<column to predict>" }.');
  }
  const recipe = learnRecipe(rows, spec.mode, options);
  await ensureBackend();
  const seed = spec.fit?.seed;
  const training = rows.filter((r) => r[recipe.outcome.name] !== null && r[recipe.outcome.name] !== undefined);
  const ordered = seed === undefined ? training : shuffled(training, seed);
  const y = bakeOutcome(recipe, ordered);
  const model = buildModel(spec, { inputSize: recipe.features.length, outputs: y.width }, options.blocks);
  compileModel(model, spec.mode, spec.compile);
  const xs = tf.tensor2d(bakePredictors(recipe, ordered), [ordered.length, recipe.features.length]);
  const ys = tf.tensor2d(y.values, [ordered.length, y.width]);
  let history: TrainingHistory;
  try {
    const result = await model.fit(xs, ys, {
      epochs: spec.fit?.epochs ?? 10,
      batchSize: spec.fit?.batchSize ?? 32,
      validationSplit: spec.fit?.validationSplit ?? 0,
      shuffle: seed === undefined,
      verbose: 0,
    });
    history = {
      epochs: result.epoch.length,
      metrics: Object.fromEntries(
        Object.entries(result.history).map(([name, values]) => [name, values.map((v) => (typeof v === 'number' ? v : (v.dataSync()[0] ?? Number.NaN)))]),
      ),
    };
  } catch (cause) {
    model.dispose();
    throw new ModelBundleError('INVALID_ARGUMENT', `Training failed: ${(cause as Error).message}. Check the spec's blocks, compile and fit arguments.`, {
      cause,
    });
  } finally {
    tf.dispose([xs, ys]);
  }
  const { bytes, failure } = await captureModel(model, options.signingKey);
  const fitted = new FittedWorkflow({
    spec: structuredClone(spec),
    mode: spec.mode,
    recipe,
    ptype: ptypeOf(recipe),
    levels: recipe.outcome.type === 'nominal' ? [...recipe.outcome.levels] : null,
    history,
    modelBytes: bytes,
    captureFailure: failure,
    fittedAt: new Date().toISOString(),
  });
  attachModel(fitted, model);
  return fitted;
}

/** A seeded Fisher-Yates shuffle (mulberry32), so training with a seed is repeatable. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  let state = seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
