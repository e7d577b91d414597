import { type BundleParts, ModelBundleError, type ModelBundlePlugin, type Predictor, type Serializer, type UnbundleParts } from '@modelbundle/core';
import { modelFromParts, modelParts, modelToBytes, runtimeVersions } from '@modelbundle/tfjs';
import { plainView } from './bytes.js';
import { FITTED_KIND, FittedWorkflow, type FittedWorkflowData, isFittedWorkflow, readFitted } from './fitted.js';
import { attachModel, notCaptured, restoreModel } from './live-model.js';
import { assertModelFitsRecipe } from './model-fit.js';
import { predict, predictionTypes } from './predict.js';
import { recipeProblems } from './recipe/state-problems.js';
import { assertSpec } from './spec/validate.js';
import { WORKFLOWS_PACKAGE, WORKFLOWS_VERSION } from './version.js';

/** The payload version the `workflows.fitted` serializer writes. */
export const WORKFLOWS_PAYLOAD_VERSION = '1.0.0';

/** Where each part of a workflow sits in its bundle. The model's own sections follow under `model/`. */
export const WORKFLOW_SECTIONS = {
  spec: 'workflow/spec.json',
  recipe: 'workflow/recipe.json',
  ptype: 'workflow/ptype.json',
  history: 'workflow/history.json',
} as const;
const MODEL_PREFIX = 'model/';

const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

/**
 * Bundles a fitted workflow (kind `workflows.fitted`): the spec, recipe,
 * prototype and history as JSON sections, the model's tfjs sections under
 * `model/`. Unbundling restores a fitted workflow with a live model and fresh
 * bytes, so it can be copied again. Its predictor serves class, prob or numeric.
 */
export const fittedWorkflowSerializer: Serializer<FittedWorkflowData> = {
  kind: FITTED_KIND,
  package: WORKFLOWS_PACKAGE,
  pluginExport: 'workflowsPlugin',
  version: WORKFLOWS_PAYLOAD_VERSION,
  reads: '^1.0.0',
  get runtime() {
    return { ...runtimeVersions(), [WORKFLOWS_PACKAGE]: WORKFLOWS_VERSION };
  },
  canBundle: isFittedWorkflow,

  async bundle(workflow): Promise<BundleParts> {
    const data = readFitted(workflow);
    // A model whose bytes could not be captured could not be restored from a bundle either.
    if (data.captureFailure) throw notCaptured(data);
    const model = await restoreModel(workflow, data);
    const parts = await modelParts(model, { prefix: MODEL_PREFIX });
    return {
      payload: { mode: data.mode, outcome: data.recipe.outcome.name, levels: data.levels, fittedAt: data.fittedAt, model: parts.payload },
      sections: [
        [WORKFLOW_SECTIONS.spec, encode(data.spec)],
        [WORKFLOW_SECTIONS.recipe, encode(data.recipe)],
        [WORKFLOW_SECTIONS.ptype, encode(data.ptype)],
        [WORKFLOW_SECTIONS.history, encode(data.history)],
        ...parts.sections,
      ],
      summary: {
        mode: data.mode,
        outcome: data.recipe.outcome.name,
        levels: data.levels,
        predictors: data.ptype.columns.length,
        features: data.recipe.features.length,
        spec: data.spec.type,
        epochs: data.history.epochs,
        model: parts.summary,
      },
      ptype: data.ptype,
      requires: { ...parts.requires, [WORKFLOWS_PACKAGE]: `^${WORKFLOWS_VERSION}` },
    };
  },

  async unbundle(parts: UnbundleParts): Promise<FittedWorkflow> {
    const read = (name: string) => {
      const bytes = parts.sections.get(name);
      if (!bytes)
        throw new ModelBundleError('MALFORMED', `The workflows.fitted bundle has no "${name}" section. The file is incomplete; save the workflow again.`);
      try {
        return JSON.parse(new TextDecoder().decode(bytes));
      } catch (cause) {
        throw new ModelBundleError('MALFORMED', `The "${name}" section of the workflows.fitted bundle is not valid JSON. Save the workflow again.`, { cause });
      }
    };
    const payload = parts.payload;
    const spec = read(WORKFLOW_SECTIONS.spec);
    const recipe = read(WORKFLOW_SECTIONS.recipe);
    const ptype = read(WORKFLOW_SECTIONS.ptype);
    const problems = recipeProblems(recipe, ptype);
    try {
      assertSpec(spec);
    } catch (error) {
      problems.push((error as Error).message);
    }
    if (problems.length > 0) {
      throw new ModelBundleError('MALFORMED', `The workflows.fitted bundle holds damaged workflow data: ${problems.join('; ')}. Save the workflow again.`, {
        details: { problems },
      });
    }
    const modelSections = new Map<string, Uint8Array>();
    for (const [name, bytes] of parts.sections) if (name.startsWith(MODEL_PREFIX)) modelSections.set(name, plainView(bytes));
    const model = await modelFromParts({ payload: payload.model as Record<string, unknown>, sections: modelSections });
    try {
      assertModelFitsRecipe(model, recipe, Array.isArray(payload.levels) ? (payload.levels as string[]) : null);
    } catch (error) {
      model.dispose();
      throw error;
    }
    const workflow = new FittedWorkflow({
      spec,
      mode: spec.mode,
      recipe,
      ptype,
      levels: Array.isArray(payload.levels) ? (payload.levels as string[]) : null,
      history: read(WORKFLOW_SECTIONS.history),
      modelBytes: await modelToBytes(model),
      captureFailure: null,
      fittedAt: typeof payload.fittedAt === 'string' ? payload.fittedAt : '',
    });
    readFitted(workflow);
    attachModel(workflow, model);
    return workflow;
  },

  predictor: (workflow) => workflowPredictor(workflow),
};

/** A generic predictor over a fitted workflow (or a copy), for consumers that know nothing of workflows: the CLI, the server. */
export function workflowPredictor(workflow: FittedWorkflowData): Predictor {
  const data = readFitted(workflow);
  return {
    ptype: data.ptype,
    types: predictionTypes(data),
    predict: (rows, options = {}) => predict(workflow, rows, options.type === undefined ? {} : { type: options.type as 'class' }),
  };
}

/** The plugin to register (or to let `unbundle` autoload): `registerPlugin(workflowsPlugin)`. */
export const workflowsPlugin: ModelBundlePlugin = { name: WORKFLOWS_PACKAGE, serializers: [fittedWorkflowSerializer] };
