import { ModelBundleError } from '@modelbundle/core';
import { isUsable, modelFromBytes } from '@modelbundle/tfjs';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { readModelBytes } from './bytes.js';
import type { FittedWorkflowData } from './fitted.js';
import { assertModelFitsRecipe } from './model-fit.js';

interface Handle {
  model?: LayersModel;
  restoring?: Promise<LayersModel>;
}

// Keyed by the workflow object itself: copies are new objects, so they start without a handle.
const handles = new WeakMap<object, Handle>();
// A live model has tensors tfjs does not garbage-collect: free them when their workflow is collected.
const release = new FinalizationRegistry<LayersModel>((model) => {
  if (isUsable(model)) model.dispose();
});

/** Links a live model to a workflow object (done by `fit` and `unbundle`). */
export function attachModel(workflow: object, model: LayersModel): void {
  handles.set(workflow, { model });
  release.register(workflow, model, model);
}

/** The live model of a workflow object when it has a usable one; undefined after a copy or a dispose. */
export function liveModelOf(workflow: object): LayersModel | undefined {
  const model = handles.get(workflow)?.model;
  return model && isUsable(model) ? model : undefined;
}

/**
 * The workflow's live model, restored from its stored bytes when the handle
 * is missing (a copy) or disposed. Concurrent callers share one restore.
 */
export function restoreModel(workflow: object, data: FittedWorkflowData): Promise<LayersModel> {
  const live = liveModelOf(workflow);
  if (live) return Promise.resolve(live);
  const handle = handles.get(workflow) ?? {};
  if (handle.restoring) return handle.restoring;
  const bytes = readModelBytes(data.modelBytes);
  if (!bytes) return Promise.reject(notCaptured(data));
  handle.model = undefined;
  handle.restoring = modelFromBytes(bytes).then(
    (model) => {
      try {
        assertModelFitsRecipe(model, data.recipe, data.levels);
      } catch (error) {
        model.dispose();
        throw error;
      }
      handle.model = model;
      handle.restoring = undefined;
      release.register(workflow, model, model);
      return model;
    },
    (cause) => {
      handle.restoring = undefined;
      throw cause;
    },
  );
  handles.set(workflow, handle);
  return handle.restoring;
}

/** Frees the live model of a workflow object now. The data stays; the next predict restores from the bytes. */
export function disposeModel(workflow: object): void {
  const handle = handles.get(workflow);
  const model = handle?.model;
  if (!model) return;
  handle.model = undefined;
  release.unregister(model);
  if (isUsable(model)) model.dispose();
}

/** The MODEL_NOT_CAPTURED error for a workflow without model bytes: why, and how to fix it. */
export function notCaptured(data: FittedWorkflowData): ModelBundleError {
  const why = data.captureFailure?.reason ?? 'the workflow holds no model bytes';
  return new ModelBundleError(
    'MODEL_NOT_CAPTURED',
    `This workflow's model was not captured at fit time (${why}), and this copy has no live model, so it cannot predict. The live model exists only in the process that ran fit(). To fix it: make the model serializable (register every custom layer with tf.serialization.registerClass before fit()), fit again, then save the new workflow.`,
    { details: { captureFailure: data.captureFailure } },
  );
}
