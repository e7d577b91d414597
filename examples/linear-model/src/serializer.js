import { ModelBundleError } from '@modelbundle/core';
import { float64Bytes, readFloat64 } from './float64.js';
import { payloadV1toV2 } from './migrations.js';
import { LinearModel } from './model.js';
import { linearPredictor, linearPtype } from './predictor.js';

/** This package's name (recorded in bundles, for autoload) and version (reported as `runtime`). */
export const PACKAGE_NAME = 'modelbundle-plugin-linear';
export const PACKAGE_VERSION = '2.0.0';

/**
 * Saves and restores a {@link LinearModel} as kind `linear.model`.
 * Payload 2.0: the header's payload holds the task, feature names and
 * class labels; section `weights` holds one little-endian float64 per
 * feature and `intercept` one more.
 * @type {import('@modelbundle/core').Serializer<LinearModel>}
 */
export const linearSerializer = {
  kind: 'linear.model',
  package: PACKAGE_NAME,
  pluginExport: 'linearPlugin',
  version: '2.0.0',
  reads: '^2.0.0',
  migrations: [payloadV1toV2],
  runtime: { [PACKAGE_NAME]: PACKAGE_VERSION },

  canBundle: (value) => value instanceof LinearModel,

  bundle(model) {
    return {
      payload: { task: model.task, features: [...model.features], dtype: 'float64', ...(model.classes ? { classes: [...model.classes] } : {}) },
      sections: [
        ['weights', float64Bytes(model.weights)],
        ['intercept', float64Bytes([model.intercept])],
      ],
      summary: { task: model.task, features: model.features.length, parameters: model.features.length + 1 },
      ptype: linearPtype(model),
      // No `requires`: the model needs no runtime library, and whether this plugin can read the
      // payload is decided by its version, `reads` and `migrations`, not by a package range.
    };
  },

  unbundle({ payload, sections }) {
    const { task, features, classes, dtype } = payload;
    // Check everything the file claims before building anything from it.
    if (task !== 'regression' && task !== 'classification') throw invalid(`payload.task is ${JSON.stringify(task)}; expected "regression" or "classification"`);
    if (!Array.isArray(features) || !features.every((f) => typeof f === 'string')) throw invalid('payload.features must be a list of feature names');
    if (dtype !== 'float64') throw invalid(`payload.dtype is ${JSON.stringify(dtype)}; expected "float64"`);
    const isPair = Array.isArray(classes) && classes.length === 2 && classes.every((c) => typeof c === 'string');
    if (task === 'classification' ? !isPair : classes !== undefined) {
      throw invalid('payload.classes must be two labels for a classification model, and absent otherwise');
    }
    const weights = sections.get('weights');
    const intercept = sections.get('intercept');
    if (weights?.byteLength !== features.length * 8 || intercept?.byteLength !== 8) {
      throw invalid(
        `sections "weights" and "intercept" must hold ${features.length} and 1 float64 values; found ${weights?.byteLength ?? 'no'} and ${intercept?.byteLength ?? 'no'} bytes`,
      );
    }
    return new LinearModel({ task, features, weights: readFloat64(weights), intercept: readFloat64(intercept)[0], classes });
  },

  predictor: (model) => linearPredictor(model),
};

/**
 * The plugin this package exports (named in package.json as
 * `"modelbundle": { "plugin": "linearPlugin" }`, so modelbundle can autoload it).
 * @type {import('@modelbundle/core').ModelBundlePlugin}
 */
export const linearPlugin = { name: PACKAGE_NAME, serializers: [linearSerializer] };

function invalid(what) {
  return new ModelBundleError('SERIALIZATION_FAILED', `This linear.model bundle cannot be restored: ${what}. Re-save the model with ${PACKAGE_NAME}.`);
}
