import { ModelBundleError } from '@modelbundle/core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { RecipeState } from './recipe/types.js';

/**
 * Checks that a restored model takes what the recipe makes and gives what the
 * outcome needs: one input of `[batch, features]`, one output of
 * `[batch, levels]` (classification) or `[batch, 1]` (regression). A bundle
 * whose recipe and model disagree (damaged, or edited with its digests
 * recomputed) would load and then fail every request inside tfjs; it is
 * refused with MALFORMED when it is read instead.
 */
export function assertModelFitsRecipe(model: LayersModel, recipe: RecipeState, levels: readonly string[] | null): void {
  const problems: string[] = [];
  const width = recipe.features.length;
  const outputWidth = recipe.outcome.type === 'nominal' ? recipe.outcome.levels.length : 1;
  const shape = (t: { shape: (number | null)[] }) => `[${t.shape.map((d) => d ?? 'batch').join(', ')}]`;
  if (model.inputs.length !== 1) problems.push(`the model has ${model.inputs.length} inputs; a workflow's model has one`);
  else {
    const input = model.inputs[0] as { shape: (number | null)[] };
    if (input.shape.length !== 2 || input.shape[1] !== width) problems.push(`the model's input is ${shape(input)}; the recipe makes ${width} features per row`);
  }
  if (model.outputs.length !== 1) problems.push(`the model has ${model.outputs.length} outputs; a workflow's model has one`);
  else {
    const output = model.outputs[0] as { shape: (number | null)[] };
    if (output.shape.length !== 2 || output.shape[1] !== outputWidth) {
      problems.push(
        `the model's output is ${shape(output)}; the outcome needs ${outputWidth} ${recipe.outcome.type === 'nominal' ? 'values (one per level)' : 'value'} per row`,
      );
    }
  }
  if (recipe.outcome.type === 'nominal' && levels !== null) {
    const same = levels.length === recipe.outcome.levels.length && levels.every((l, i) => l === (recipe.outcome as { levels: string[] }).levels[i]);
    if (!same) problems.push(`the bundle lists ${levels.length} outcome levels; the recipe has ${recipe.outcome.levels.length}, not the same`);
  }
  if (problems.length > 0) {
    throw new ModelBundleError(
      'MALFORMED',
      `The workflow's model does not match its recipe: ${problems.join('; ')}. The bundle is damaged or was edited; save the workflow again from the fitted original.`,
      { details: { problems, features: width, outputWidth } },
    );
  }
}
