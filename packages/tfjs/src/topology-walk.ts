import { ModelBundleError } from '@modelbundle/core';

/** Deeper than any real model nests; a topology past it is damaged or hostile. */
export const MAX_TOPOLOGY_DEPTH = 256;

/**
 * Calls `visit` on every object (not array) in a topology, parents before
 * children, without recursion. Throws LIMIT_EXCEEDED past
 * {@link MAX_TOPOLOGY_DEPTH} levels, so no topology can exhaust the stack.
 */
export function forEachRecord(topology: unknown, visit: (record: Record<string, unknown>) => void): void {
  const stack: [unknown, number][] = [[topology, 0]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop() as [unknown, number];
    if (value === null || typeof value !== 'object') continue;
    if (depth > MAX_TOPOLOGY_DEPTH) throw tooDeep();
    const children = Array.isArray(value) ? value : Object.values(value);
    if (!Array.isArray(value)) visit(value as Record<string, unknown>);
    // Pushed in reverse so items are visited in document order.
    for (let i = children.length - 1; i >= 0; i--) stack.push([children[i], depth + 1]);
  }
}

/** The LIMIT_EXCEEDED error for a topology nested past {@link MAX_TOPOLOGY_DEPTH}. */
export function tooDeep(): ModelBundleError {
  return new ModelBundleError(
    'LIMIT_EXCEEDED',
    `The model topology nests deeper than ${MAX_TOPOLOGY_DEPTH} levels; no real model does. The bundle is damaged or hostile.`,
  );
}
