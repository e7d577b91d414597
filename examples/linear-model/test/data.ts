import { fitLinearRegression, fitLogisticRegression, type LinearModel } from 'modelbundle-plugin-linear';

/** A small deterministic data set: y = 2 + 0.5·a − 3·b (+ a little structured noise). */
export function regressionData(n = 40, noise = 0): { x: number[][]; y: number[]; features: string[] } {
  const x = Array.from({ length: n }, (_, i) => [Math.sin(i) * 4, Math.cos(i * 0.7) * 2]);
  const y = x.map(([a, b], i) => 2 + 0.5 * (a as number) - 3 * (b as number) + noise * Math.sin(i * 3.1));
  return { x, y, features: ['a', 'b'] };
}

/** Two classes separated (mostly) by the line a + b = 0.5. */
export function classificationData(n = 60): { x: number[][]; y: string[]; features: string[] } {
  const x = Array.from({ length: n }, (_, i) => [Math.sin(i * 1.3) * 2, Math.cos(i * 0.9) * 2]);
  const y = x.map(([a, b]) => ((a as number) + (b as number) > 0.5 ? 'yes' : 'no'));
  return { x, y, features: ['a', 'b'] };
}

export function fittedRegression(): LinearModel {
  return fitLinearRegression(regressionData(40, 0.1));
}

export function fittedClassifier(): LinearModel {
  return fitLogisticRegression({ ...classificationData(), iterations: 300 });
}

/** Same task, features, classes and bitwise-equal coefficients. */
export function sameModel(a: LinearModel, b: LinearModel): boolean {
  return (
    a.task === b.task &&
    JSON.stringify(a.features) === JSON.stringify(b.features) &&
    JSON.stringify(a.classes) === JSON.stringify(b.classes) &&
    Object.is(a.intercept, b.intercept) &&
    a.weights.length === b.weights.length &&
    a.weights.every((w, i) => Object.is(w, b.weights[i]))
  );
}
