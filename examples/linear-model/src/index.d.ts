import type { ModelBundlePlugin, PayloadMigration, Predictor, Serializer } from '@modelbundle/core';

/** A fitted linear (regression) or logistic (classification) model over named numeric features. */
export declare class LinearModel {
  constructor(fields: {
    task: 'regression' | 'classification';
    features: readonly string[];
    weights: Float64Array;
    intercept: number;
    classes?: readonly [string, string];
  });
  readonly task: 'regression' | 'classification';
  readonly features: readonly string[];
  readonly weights: Float64Array;
  readonly intercept: number;
  readonly classes?: readonly [string, string];
  /** The response (regression) or the probability of `classes[1]` (classification), per row. */
  predict(rows: readonly (readonly number[])[]): number[];
  /** The most probable class label per row (classification only). */
  predictClass(rows: readonly (readonly number[])[]): string[];
}

export declare function sigmoid(z: number): number;

/** Least squares (optionally ridge) fit. */
export declare function fitLinearRegression(data: {
  x: readonly (readonly number[])[];
  y: readonly number[];
  features: readonly string[];
  l2?: number;
}): LinearModel;

/** Logistic regression by full-batch gradient descent. */
export declare function fitLogisticRegression(data: {
  x: readonly (readonly number[])[];
  y: readonly string[];
  features: readonly string[];
  classes?: readonly [string, string];
  learningRate?: number;
  iterations?: number;
}): LinearModel;

/** The migration from payload 1.x (one `coefficients` section) to 2.0. */
export declare const payloadV1toV2: PayloadMigration;
export declare function linearPtype(model: LinearModel): { columns: { name: string; type: 'number' }[] };
export declare function linearPredictor(model: LinearModel): Predictor;
export declare const linearSerializer: Serializer<LinearModel>;
export declare const linearPlugin: ModelBundlePlugin;
export declare const PACKAGE_NAME: 'modelbundle-plugin-linear';
export declare const PACKAGE_VERSION: string;
