/** Every number in a prediction result, in order (object keys in insertion order). */
export function numbersIn(value: unknown): number[] {
  if (typeof value === 'number') return [value];
  if (Array.isArray(value)) return value.flatMap(numbersIn);
  if (value && typeof value === 'object') return Object.values(value).flatMap(numbersIn);
  return [];
}

/** The result with every number replaced by 0: two results have the same shape when these are equal. */
export function shapeOf(value: unknown): unknown {
  if (typeof value === 'number') return 0;
  if (Array.isArray(value)) return value.map(shapeOf);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shapeOf(v)]));
  return value;
}

/** Largest absolute difference between the numbers of two results of the same shape. */
export function maxAbsDifference(a: unknown, b: unknown): number {
  const x = numbersIn(a);
  const y = numbersIn(b);
  if (x.length !== y.length || x.length === 0) return Number.POSITIVE_INFINITY;
  return Math.max(...x.map((v, i) => Math.abs(v - (y[i] as number))));
}
