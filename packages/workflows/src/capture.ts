import { encodeBundle, type KeyInput, signBundle } from '@modelbundle/core';
import { emitWarning } from '@modelbundle/core/internal';
import { isClassRegistered, modelToBundle, topologyClassNames } from '@modelbundle/tfjs';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { CaptureFailure } from './fitted.js';

/** The warning code `fit` emits when it cannot capture the model's bytes. */
export const CAPTURE_FAILED_WARNING = 'MODELBUNDLE_CAPTURE_FAILED';

/**
 * Captures a freshly fitted model as bytes (one bundle file, signed with
 * `signingKey` when given). Bytes that could not be restored count as a
 * failure too: every class the model uses must be registered with tfjs. On
 * failure, emits a warning and returns why.
 */
export async function captureModel(model: LayersModel, signingKey?: KeyInput): Promise<{ bytes: Uint8Array | null; failure: CaptureFailure | null }> {
  try {
    const classes = topologyClassNames(model.toJSON(null, false));
    const missing = classes.filter((name) => !isClassRegistered(name));
    if (missing.length > 0) {
      throw new Error(
        `the model uses ${missing.map((n) => `"${n}"`).join(', ')}, not registered with tf.serialization.registerClass, so its saved form could not be loaded again`,
      );
    }
    const bundle = await modelToBundle(model);
    return { bytes: encodeBundle(signingKey === undefined ? bundle : await signBundle(bundle, signingKey)), failure: null };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const failure: CaptureFailure = { code: CAPTURE_FAILED_WARNING, reason };
    emitWarning(
      `The fitted model could not be captured as bytes (${reason}). The workflow predicts in this process only; a copy or a reload will fail with MODEL_NOT_CAPTURED. Register custom layers with tf.serialization.registerClass before fit().`,
      CAPTURE_FAILED_WARNING,
    );
    return { bytes: null, failure };
  }
}
