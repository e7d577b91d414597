import { ModelBundleError } from '@modelbundle/core';

/**
 * The input prototype: one numeric column per feature. Generic consumers
 * (the CLI, the HTTP server) validate rows and document the API from it.
 * @param {import('./model.js').LinearModel} model
 */
export function linearPtype(model) {
  return { columns: model.features.map((name) => ({ name, type: 'number' })) };
}

/**
 * A predictor that any consumer can call without knowing this plugin: rows
 * are objects keyed by feature name. Regression offers `numeric`;
 * classification offers `class` (default) and `prob`.
 * @param {import('./model.js').LinearModel} model
 * @returns {import('@modelbundle/core').Predictor}
 */
export function linearPredictor(model) {
  const classification = model.task === 'classification';
  const types = classification ? ['class', 'prob'] : ['numeric'];
  return {
    ptype: linearPtype(model),
    types,
    async predict(rows, options = {}) {
      const type = options.type ?? types[0];
      if (!types.includes(type)) {
        throw new ModelBundleError('INVALID_ARGUMENT', `Prediction type "${type}" is not offered by this ${model.task} model; use ${types.join(' or ')}.`);
      }
      const x = toMatrix(model.features, rows);
      if (!classification) return model.predict(x).map((value) => ({ '.pred': value }));
      if (type === 'class') return model.predictClass(x).map((label) => ({ '.pred_class': label }));
      const [negative, positive] = model.classes;
      return model.predict(x).map((p) => ({ [`.pred_${negative}`]: 1 - p, [`.pred_${positive}`]: p }));
    },
  };
}

/** Rows (objects keyed by feature) as a matrix in feature order, refusing anything that is not a finite number. */
function toMatrix(features, rows) {
  if (!Array.isArray(rows) || rows.length === 0) {
    throw new ModelBundleError('INVALID_INPUT', `predict() got ${Array.isArray(rows) ? 'no rows' : typeof rows}; expected a non-empty list of rows.`);
  }
  return rows.map((row, r) => {
    if (row === null || typeof row !== 'object' || Array.isArray(row)) {
      throw new ModelBundleError(
        'INVALID_INPUT',
        `Row ${r} is ${Array.isArray(row) ? 'a list' : String(row)}; expected an object with the columns ${features.join(', ')}.`,
      );
    }
    return features.map((name) => {
      const value = row[name];
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        throw new ModelBundleError(
          'INVALID_INPUT',
          `Row ${r}, column "${name}" is ${value === undefined ? 'missing' : JSON.stringify(value)}; expected a finite number. Columns: ${features.join(', ')}.`,
        );
      }
      return value;
    });
  });
}
