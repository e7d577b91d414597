import { checkTrust, decodeBundle, ModelBundleError, type TrustOptions } from '@modelbundle/core';
import { bundleToModel, isUsable } from '@modelbundle/tfjs';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { FittedWorkflowData } from './fitted.js';
import { readModelBytes } from './model-bytes.js';

/** How a copy's model is restored: `trustedKeys` requires the model bytes to be signed by one of them. */
export type RestoreOptions = Pick<TrustOptions, 'trustedKeys'>;

interface Handle {
  model?: LayersModel;
  restoring?: Promise<LayersModel>;
  /** True when the live model came from fit() here, or from bytes whose signature was checked. */
  trusted: boolean;
}

// Keyed by the workflow object itself: copies are new objects, so they start without a handle.
const handles = new WeakMap<object, Handle>();
// A live model has tensors tfjs does not garbage-collect: free them when their workflow is collected.
const release = new FinalizationRegistry<LayersModel>((model) => {
  if (isUsable(model)) model.dispose();
});

/**
 * Links a live model to a workflow object: `fit` (which made it here, so it
 * is trusted) and `unbundle` (not trusted: a later predict with
 * `trustedKeys` checks the model bytes' signature).
 */
export function attachModel(workflow: object, model: LayersModel, trusted = true): void {
  handles.set(workflow, { model, trusted });
  release.register(workflow, model, model);
}

/** The live model of a workflow object when it has a usable one; undefined after a copy or a dispose. */
export function liveModelOf(workflow: object): LayersModel | undefined {
  const model = handles.get(workflow)?.model;
  return model && isUsable(model) ? model : undefined;
}

/**
 * The workflow's live model, restored from its stored bytes when the handle
 * is missing (a copy) or disposed. Concurrent callers share one restore (the
 * same promise). With `trustedKeys`, the bytes must carry a signature by one
 * of them (made by `fit(..., { signingKey })`): a restore checks it before
 * building anything, and a live model restored without that check is
 * checked before it is used.
 */
export function restoreModel(workflow: object, data: FittedWorkflowData, options: RestoreOptions = {}): Promise<LayersModel> {
  const handle = handles.get(workflow) ?? { trusted: false };
  handles.set(workflow, handle);
  const live = liveModelOf(workflow);
  if (live) return handle.trusted || !options.trustedKeys ? Promise.resolve(live) : trustLive(handle, data, options, live);
  if (!handle.restoring) {
    const bytes = readModelBytes(data.modelBytes);
    if (!bytes) return Promise.reject(notCaptured(data));
    handle.model = undefined;
    const trusted = options.trustedKeys !== undefined;
    handle.restoring = bundleToModel(bytes, options).then(
      (model) => {
        Object.assign(handle, { model, restoring: undefined, trusted });
        release.register(workflow, model, model);
        return model;
      },
      (cause) => {
        handle.restoring = undefined;
        throw cause;
      },
    );
  }
  if (!options.trustedKeys) return handle.restoring;
  // A restore may have been started by a caller without keys: check the bytes for this caller.
  return handle.restoring.then((model) => (handle.trusted ? model : trustLive(handle, data, options, model)));
}

async function trustLive(handle: Handle, data: FittedWorkflowData, options: RestoreOptions, model: LayersModel): Promise<LayersModel> {
  await checkStoredBytes(data, options);
  handle.trusted = true;
  return model;
}

async function checkStoredBytes(data: FittedWorkflowData, options: RestoreOptions): Promise<void> {
  const bytes = readModelBytes(data.modelBytes);
  if (!bytes) throw notCaptured(data);
  await checkTrust(await decodeBundle(bytes), options);
}

/** Frees the live model of a workflow object now. The data stays; the next predict restores from the bytes. */
export function disposeModel(workflow: object): void {
  const handle = handles.get(workflow);
  const model = handle?.model;
  if (!handle || !model) return;
  handle.model = undefined;
  handle.trusted = false;
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
