/**
 * A fitted linear model over named numeric features: y = intercept + Σ weights[i]·x[i].
 * For a logistic model (task "classification") the linear value is passed
 * through the logistic function and gives the probability of `classes[1]`.
 */
export class LinearModel {
  /**
   * @param {object} fields
   * @param {'regression' | 'classification'} fields.task
   * @param {readonly string[]} fields.features Feature names, in weight order.
   * @param {Float64Array} fields.weights One weight per feature.
   * @param {number} fields.intercept
   * @param {readonly [string, string]} [fields.classes] Class labels of a classification model: [negative, positive].
   */
  constructor({ task, features, weights, intercept, classes }) {
    this.task = task;
    this.features = Object.freeze([...features]);
    this.weights = weights;
    this.intercept = intercept;
    this.classes = classes ? Object.freeze([...classes]) : undefined;
  }

  /**
   * Predicts one value per row of feature values (each row in `features` order):
   * the response of a regression, the probability of `classes[1]` of a classification.
   * @param {readonly (readonly number[])[]} rows
   * @returns {number[]}
   */
  predict(rows) {
    return rows.map((row) => {
      let z = this.intercept;
      for (let i = 0; i < this.weights.length; i++) z += this.weights[i] * row[i];
      return this.task === 'classification' ? sigmoid(z) : z;
    });
  }

  /**
   * The most probable class label per row (classification models only).
   * @param {readonly (readonly number[])[]} rows
   * @returns {string[]}
   */
  predictClass(rows) {
    if (!this.classes) throw new TypeError('predictClass() needs a classification model.');
    const [negative, positive] = this.classes;
    return this.predict(rows).map((p) => (p >= 0.5 ? positive : negative));
  }
}

/** The logistic function, written to stay finite for large |z|. */
export function sigmoid(z) {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}
