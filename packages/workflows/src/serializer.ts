import {
  type BundleParts,
  createBundle,
  decodeBundle,
  draftHeader,
  encodeBundle,
  ModelBundleError,
  type ModelBundlePlugin,
  type PayloadMigration,
  type Predictor,
  type Serializer,
  type UnbundleParts,
} from '@modelbundle/core';
import { isRecord, parseJson } from '@modelbundle/core/internal';
import { bundleToModel, runtimeVersions, tfjsPlugin } from '@modelbundle/tfjs';
import { FITTED_KIND, FittedWorkflow, type FittedWorkflowData, isFittedWorkflow, readFitted } from './fitted.js';
import { attachModel, notCaptured } from './live-model.js';
import { ownBytes, readModelBytes } from './model-bytes.js';
import { predict, predictionTypes } from './predict.js';
import { recipeProblems } from './recipe/state-problems.js';
import { assertSpec } from './spec/validate.js';
import { WORKFLOWS_PACKAGE, WORKFLOWS_VERSION } from './version.js';

/** The payload version the `workflows.fitted` serializer writes. 2.0.0 embeds the model as one bundle section. */
export const WORKFLOWS_PAYLOAD_VERSION = '2.0.0';

/**
 * Where each part of a workflow sits in its bundle. `model` holds the
 * model's own bundle file, byte for byte as captured at fit time (its
 * signature, if any, included); it starts 64-byte aligned, so its weight
 * sections are aligned too.
 */
export const WORKFLOW_SECTIONS = {
  spec: 'workflow/spec.json',
  recipe: 'workflow/recipe.json',
  ptype: 'workflow/ptype.json',
  history: 'workflow/history.json',
  model: 'workflow/model.mbnd',
} as const;

const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

/**
 * Bundles a fitted workflow (kind `workflows.fitted`): the spec, recipe,
 * prototype and history as JSON sections, and the model bytes captured at
 * fit time as one section, embedded without restoring the model. Unbundling
 * restores a fitted workflow with a live model and those same bytes, so it
 * can be copied again. Its predictor serves class, prob or numeric.
 */
export const fittedWorkflowSerializer: Serializer<FittedWorkflowData> = {
  kind: FITTED_KIND,
  package: WORKFLOWS_PACKAGE,
  pluginExport: 'workflowsPlugin',
  version: WORKFLOWS_PAYLOAD_VERSION,
  reads: '^2.0.0',
  migrations: [fromEmbeddedSections()],
  get runtime() {
    return { ...runtimeVersions(), [WORKFLOWS_PACKAGE]: WORKFLOWS_VERSION };
  },
  canBundle: isFittedWorkflow,

  async bundle(workflow): Promise<BundleParts> {
    const data = readFitted(workflow);
    // A model whose bytes could not be captured could not be restored from a bundle either.
    const modelBytes = data.captureFailure ? null : readModelBytes(data.modelBytes);
    if (!modelBytes) throw notCaptured(data);
    // The bytes may come from a copy: check them, so a workflow bundle never vouches for a damaged model.
    const model = await decodeBundle(modelBytes);
    return {
      payload: { mode: data.mode, outcome: data.recipe.outcome.name, levels: data.levels, fittedAt: data.fittedAt, model: { kind: model.header.kind } },
      sections: [
        [WORKFLOW_SECTIONS.spec, encode(data.spec)],
        [WORKFLOW_SECTIONS.recipe, encode(data.recipe)],
        [WORKFLOW_SECTIONS.ptype, encode(data.ptype)],
        [WORKFLOW_SECTIONS.history, encode(data.history)],
        [WORKFLOW_SECTIONS.model, modelBytes],
      ],
      summary: {
        mode: data.mode,
        outcome: data.recipe.outcome.name,
        levels: data.levels,
        predictors: data.ptype.columns.length,
        features: data.recipe.features.length,
        spec: data.spec.type,
        epochs: data.history.epochs,
        model: model.header.summary,
      },
      ptype: data.ptype,
      requires: { ...model.header.requires, [WORKFLOWS_PACKAGE]: `^${WORKFLOWS_VERSION}` },
    };
  },

  async unbundle(parts: UnbundleParts): Promise<FittedWorkflow> {
    const read = (name: string) => parseJson(section(parts, name), `The "${name}" section of the workflows.fitted bundle`, 'Save the workflow again.');
    const payload = parts.payload;
    const spec = read(WORKFLOW_SECTIONS.spec) as FittedWorkflowData['spec'];
    const recipe = read(WORKFLOW_SECTIONS.recipe) as FittedWorkflowData['recipe'];
    const ptype = read(WORKFLOW_SECTIONS.ptype) as FittedWorkflowData['ptype'];
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
    // The outer bundle's digest covered these bytes already; the model restore checks the rest (payload, classes, sizes).
    const modelBytes = ownBytes(section(parts, WORKFLOW_SECTIONS.model));
    const model = await bundleToModel(await decodeBundle(modelBytes, { verify: false }));
    const workflow = new FittedWorkflow({
      spec,
      mode: spec.mode,
      recipe,
      ptype,
      levels: Array.isArray(payload.levels) ? (payload.levels as string[]) : null,
      history: read(WORKFLOW_SECTIONS.history) as FittedWorkflowData['history'],
      modelBytes,
      captureFailure: null,
      fittedAt: typeof payload.fittedAt === 'string' ? payload.fittedAt : '',
    });
    readFitted(workflow);
    // Not marked trusted: `predict(..., { trustedKeys })` still checks the model bytes' own signature.
    attachModel(workflow, model, false);
    return workflow;
  },

  predictor: (workflow) => workflowPredictor(workflow),
};

function section(parts: Pick<UnbundleParts, 'sections'>, name: string): Uint8Array {
  const bytes = parts.sections.get(name);
  if (!bytes) throw new ModelBundleError('MALFORMED', `The workflows.fitted bundle has no "${name}" section. The file is incomplete; save the workflow again.`);
  return bytes;
}

/**
 * Payload 1.x kept the model's tfjs sections under `model/` and their
 * manifest in `payload.model`. They become one embedded model bundle, built
 * from those parts without restoring the model.
 */
function fromEmbeddedSections(): PayloadMigration {
  return {
    from: '^1.0.0',
    to: '2.0.0',
    async migrate(parts) {
      const summary = parts.header.summary.model;
      const kind = isRecord(summary) ? summary.kind : undefined;
      const serializer = tfjsPlugin.serializers.find((s) => s.kind === kind);
      if (!serializer || !isRecord(summary) || !isRecord(parts.payload.model)) {
        throw new ModelBundleError(
          'MALFORMED',
          'The workflows.fitted 1.x bundle has no tfjs model manifest (payload.model, summary.model). Save the workflow again.',
        );
      }
      const modelSections = [...parts.sections].filter(([name]) => name.startsWith('model/'));
      const tfjsRange = parts.header.requires['@tensorflow/tfjs-layers'];
      const draft = draftHeader(
        serializer,
        {
          payload: parts.payload.model,
          summary,
          ptype: { inputs: summary.inputs, outputs: summary.outputs },
          requires: tfjsRange ? { '@tensorflow/tfjs-layers': tfjsRange } : {},
        },
        { created: parts.header.created },
      );
      const model = encodeBundle(await createBundle(draft, modelSections));
      const sections = new Map([...parts.sections].filter(([name]) => !name.startsWith('model/')));
      sections.set(WORKFLOW_SECTIONS.model, model);
      const { model: _manifest, ...payload } = parts.payload;
      return { ...parts, payload: { ...payload, model: { kind } }, sections };
    },
  };
}

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
