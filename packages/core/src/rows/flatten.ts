import { ModelBundleError } from '../errors.js';

/** Deepest nesting of a tensor value in a request row: far past any real tensor rank (8 at most), far short of the stack. */
export const MAX_VALUE_DEPTH = 400;

/** A nested list of numbers (or one number) as its flat values in row-major order and its shape. */
export interface FlatValue {
  flat: unknown[];
  shape: number[];
}

/**
 * Flattens a nested list into its values and shape without recursion (so a
 * hostile, deeply nested value cannot overflow the stack), refusing ragged
 * lists and nesting deeper than `maxDepth` with INVALID_INPUT. The values
 * themselves are not checked; `where` names the value in messages.
 */
export function flattenValue(value: unknown, where: string, maxDepth = MAX_VALUE_DEPTH): FlatValue {
  if (!Array.isArray(value)) return { flat: [value], shape: [] };
  const shape: number[] = [];
  for (let level: unknown = value; Array.isArray(level); level = level[0]) {
    if (shape.length >= maxDepth) {
      throw new ModelBundleError('INVALID_INPUT', `${where} is nested more than ${maxDepth} lists deep; send a tensor of the model's rank.`, {
        details: { maxDepth },
      });
    }
    shape.push(level.length);
    if (level.length === 0) break;
  }
  const flat: unknown[] = [];
  // Depth-first over the lists, last child first on the stack, so values come out in order.
  const stack: { list: unknown; depth: number }[] = [{ list: value, depth: 0 }];
  while (stack.length > 0) {
    const { list, depth } = stack.pop() as { list: unknown; depth: number };
    if (depth === shape.length) {
      if (Array.isArray(list)) throw ragged(where, shape);
      flat.push(list);
      continue;
    }
    if (!Array.isArray(list) || list.length !== shape[depth]) throw ragged(where, shape);
    for (let i = list.length - 1; i >= 0; i--) stack.push({ list: list[i], depth: depth + 1 });
  }
  return { flat, shape };
}

function ragged(where: string, shape: number[]): ModelBundleError {
  return new ModelBundleError(
    'INVALID_INPUT',
    `${where} is a ragged list: its first element has shape [${shape.join(', ')}], another does not. Every nested list must have the same length.`,
  );
}
