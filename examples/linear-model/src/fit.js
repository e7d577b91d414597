import { LinearModel, sigmoid } from './model.js';

/**
 * Fits a linear regression by least squares: solves the normal equations
 * (XᵀX + λI)β = Xᵀy, with an unpenalized intercept column.
 * @param {object} data
 * @param {readonly (readonly number[])[]} data.x Rows of feature values.
 * @param {readonly number[]} data.y The response, one value per row.
 * @param {readonly string[]} data.features Feature names, one per column.
 * @param {number} [data.l2] Ridge penalty λ (default 0).
 * @returns {LinearModel}
 */
export function fitLinearRegression({ x, y, features, l2 = 0 }) {
  checkData(x, y, features);
  const p = features.length + 1;
  const a = Array.from({ length: p }, () => new Float64Array(p));
  const b = new Float64Array(p);
  for (const [r, row] of x.entries()) {
    const v = [1, ...row];
    for (let i = 0; i < p; i++) {
      b[i] += v[i] * y[r];
      for (let j = 0; j < p; j++) a[i][j] += v[i] * v[j];
    }
  }
  for (let i = 1; i < p; i++) a[i][i] += l2;
  const beta = solve(a, b);
  return new LinearModel({ task: 'regression', features, intercept: beta[0], weights: Float64Array.from(beta.subarray(1)) });
}

/**
 * Fits a logistic regression by full-batch gradient descent on the mean log-loss
 * (deterministic: weights start at zero).
 * @param {object} data
 * @param {readonly (readonly number[])[]} data.x Rows of feature values.
 * @param {readonly string[]} data.y Class labels, exactly two distinct values.
 * @param {readonly string[]} data.features Feature names, one per column.
 * @param {readonly [string, string]} [data.classes] [negative, positive]; default: the two labels sorted.
 * @param {number} [data.learningRate] Step size (default 0.5).
 * @param {number} [data.iterations] Gradient steps (default 2000).
 * @returns {LinearModel}
 */
export function fitLogisticRegression({ x, y, features, classes, learningRate = 0.5, iterations = 2000 }) {
  checkData(x, y, features);
  const labels = classes ?? [...new Set(y)].sort();
  if (labels.length !== 2 || !y.every((label) => labels.includes(label))) {
    throw new RangeError(`fitLogisticRegression() needs exactly two classes; found ${[...new Set(y)].join(', ')}.`);
  }
  const target = y.map((label) => (label === labels[1] ? 1 : 0));
  const weights = new Float64Array(features.length);
  let intercept = 0;
  const n = x.length;
  for (let step = 0; step < iterations; step++) {
    const grad = new Float64Array(features.length);
    let gradIntercept = 0;
    for (const [r, row] of x.entries()) {
      let z = intercept;
      for (let i = 0; i < weights.length; i++) z += weights[i] * row[i];
      const error = sigmoid(z) - target[r];
      gradIntercept += error;
      for (let i = 0; i < weights.length; i++) grad[i] += error * row[i];
    }
    intercept -= (learningRate * gradIntercept) / n;
    for (let i = 0; i < weights.length; i++) weights[i] -= (learningRate * grad[i]) / n;
  }
  return new LinearModel({ task: 'classification', features, weights, intercept, classes: [labels[0], labels[1]] });
}

function checkData(x, y, features) {
  if (x.length === 0 || x.length !== y.length) throw new RangeError(`x has ${x.length} rows and y ${y.length}; both need the same, non-zero count.`);
  for (const [r, row] of x.entries()) {
    if (row.length !== features.length || !row.every(Number.isFinite)) {
      throw new RangeError(`Row ${r} of x has ${row.length} values; expected ${features.length} finite numbers (one per feature).`);
    }
  }
}

/** Solves a·β = b by Gaussian elimination with partial pivoting (a is small: one row per feature). */
function solve(a, b) {
  const p = b.length;
  const m = a.map((row, i) => Float64Array.from([...row, b[i]]));
  for (let col = 0; col < p; col++) {
    let pivot = col;
    for (let r = col + 1; r < p; r++) if (Math.abs(m[r][col]) > Math.abs(m[pivot][col])) pivot = r;
    if (Math.abs(m[pivot][col]) < 1e-12) throw new RangeError('The features are collinear (XᵀX is singular); drop a redundant feature or pass l2 > 0.');
    [m[col], m[pivot]] = [m[pivot], m[col]];
    for (let r = 0; r < p; r++) {
      if (r === col) continue;
      const f = m[r][col] / m[col][col];
      for (let c = col; c <= p; c++) m[r][c] -= f * m[col][c];
    }
  }
  return Float64Array.from({ length: p }, (_, i) => m[i][p] / m[i][i]);
}
