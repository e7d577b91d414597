import { type Bundle, createRegistry, encodeBundle, type Registry } from '@modelbundle/core';
import { LinearModel, linearSerializer } from './linear-model.js';

/** A registry with only the test serializer, autoload off. */
export function linearRegistry(): Registry {
  return createRegistry({ autoload: false }).register(linearSerializer);
}

/** A small real model with `n` features. */
export function linearModel(n = 3, seed = 1): LinearModel {
  const weights = new Float32Array(n);
  for (let i = 0; i < n; i++) weights[i] = ((i + 1) * seed) / 7;
  return new LinearModel(
    Array.from({ length: n }, (_, i) => `x${i}`),
    weights,
    seed / 3,
  );
}

/** A bundle of a small linear model, with fixed creation time so its bytes are reproducible. */
export async function linearBundle(n = 3, seed = 1, metadata: Record<string, unknown> = { owner: 'tests' }): Promise<{ bundle: Bundle; bytes: Uint8Array }> {
  const bundle = await linearRegistry().bundle(linearModel(n, seed), { created: '2026-01-01T00:00:00.000Z', metadata });
  return { bundle, bytes: encodeBundle(bundle) };
}
