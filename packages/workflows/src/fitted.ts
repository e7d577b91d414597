import { ModelBundleError } from '@modelbundle/core';
import { describeValue as describe, isRecord, toBase64 } from '@modelbundle/core/internal';
import { type Base64Bytes, readModelBytes } from './model-bytes.js';
import { recipeProblems } from './recipe/state-problems.js';
import type { Ptype, RecipeState } from './recipe/types.js';
import type { Mode, ModelSpec } from './spec/types.js';

/** The marker every fitted workflow (and every copy of one) carries. */
export const FITTED_KIND = 'workflows.fitted';

/** Loss and metric values per epoch, as tfjs reports them. */
export interface TrainingHistory {
  epochs: number;
  metrics: Record<string, number[]>;
}

/** Why the model bytes are missing, when capture failed at fit time. */
export interface CaptureFailure {
  /** The warning code emitted at fit time. */
  code: 'MODELBUNDLE_CAPTURE_FAILED';
  /** What went wrong, in words. */
  reason: string;
}

/** The plain data of a fitted workflow: what every copy keeps. */
export interface FittedWorkflowData {
  kind: typeof FITTED_KIND;
  /** Layout version of this data. */
  version: 1;
  spec: ModelSpec;
  mode: Mode;
  recipe: RecipeState;
  ptype: Ptype;
  /** Class levels in order (classification), or null. */
  levels: string[] | null;
  history: TrainingHistory;
  /** The model as one bundle file (`encodeBundle(await modelToBundle(model))`, signed when fit had a `signingKey`), captured at fit time; null when capture failed. */
  modelBytes: Uint8Array | null;
  /** Set when capture failed: why. */
  captureFailure: CaptureFailure | null;
  /** When it was fitted (ISO 8601). */
  fittedAt: string;
}

/**
 * A fitted workflow: plain data (spec, recipe, levels, history, prototype and
 * the model's bytes) plus, out of sight, a handle to the live model. Copies
 * (structuredClone, v8, postMessage, msgpack, JSON) keep the data and drop the
 * handle; `predict` restores the model from the bytes when it is missing.
 */
export class FittedWorkflow implements FittedWorkflowData {
  readonly kind = FITTED_KIND;
  readonly version = 1 as const;
  spec!: ModelSpec;
  mode!: Mode;
  recipe!: RecipeState;
  ptype!: Ptype;
  levels!: string[] | null;
  history!: TrainingHistory;
  modelBytes!: Uint8Array | null;
  captureFailure!: CaptureFailure | null;
  fittedAt!: string;

  constructor(data: Omit<FittedWorkflowData, 'kind' | 'version'>) {
    Object.assign(this, data);
  }

  /** JSON form: the same data, with the model bytes as `{ $base64 }`. `predict` accepts the parsed result as is. */
  toJSON(): Omit<FittedWorkflowData, 'modelBytes'> & { modelBytes: Base64Bytes | null } {
    return { ...this, modelBytes: this.modelBytes ? { $base64: toBase64(this.modelBytes) } : null };
  }
}

/** True when `value` looks like a fitted workflow or a copy of one (by its `kind` marker and fields). */
export function isFittedWorkflow(value: unknown): value is FittedWorkflowData {
  return isRecord(value) && value.kind === FITTED_KIND && isRecord(value.recipe) && isRecord(value.ptype) && isRecord(value.spec);
}

/**
 * Checks that `value` is a fitted workflow or a copy of one, whatever form
 * its model bytes took (read them with {@link readModelBytes}). Throws
 * INVALID_ARGUMENT for anything else.
 */
export function readFitted(value: unknown): FittedWorkflowData {
  if (!isFittedWorkflow(value)) {
    throw new ModelBundleError(
      'INVALID_ARGUMENT',
      `Expected a fitted workflow (an object with kind "${FITTED_KIND}" from fit(), or a copy of one); got ${describe(value)}${isRecord(value) ? ` with kind ${JSON.stringify(value.kind)}` : ''}.`,
    );
  }
  if (value.version !== 1) {
    throw new ModelBundleError(
      'UNSUPPORTED_PAYLOAD',
      `This fitted workflow has data version ${JSON.stringify(value.version)}; this release reads version 1. Upgrade @modelbundle/workflows.`,
    );
  }
  const problems = recipeProblems(value.recipe, value.ptype);
  if (problems.length > 0) {
    throw new ModelBundleError('INVALID_ARGUMENT', `This fitted workflow's data is damaged: ${problems.join('; ')}. Use an unaltered copy, or fit again.`, {
      details: { problems },
    });
  }
  return value;
}

/** JSON.stringify replacer for copies that lost the class (and its toJSON): keeps bytes as `{ $base64 }`. */
export function workflowReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) return { $base64: toBase64(value) };
  if (isRecord(value) && value.type === 'Buffer' && Array.isArray(value.data)) return { $base64: toBase64(Uint8Array.from(value.data as number[])) };
  return value;
}

/** JSON.parse reviver that turns `{ $base64 }` back into a Uint8Array (optional: predict reads either form). */
export function workflowReviver(_key: string, value: unknown): unknown {
  if (isRecord(value) && typeof value.$base64 === 'string' && Object.keys(value).length === 1) return readModelBytes(value);
  return value;
}
