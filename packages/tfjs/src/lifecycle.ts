import type { LayersModel } from '@tensorflow/tfjs-layers';

/** Duck-typed check for a tfjs layers model (works across duplicate copies of tfjs-layers). */
export function isLayersModel(value: unknown): value is LayersModel {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.predict === 'function' &&
    typeof v.save === 'function' &&
    typeof v.getClassName === 'function' &&
    Array.isArray(v.layers) &&
    Array.isArray(v.inputs) &&
    Array.isArray(v.outputs)
  );
}

/**
 * True when `model` is a live layers model that can predict: not disposed
 * and with all its weights in memory. Never throws (tfjs has no public flag:
 * a disposed model only fails on use).
 */
export function isUsable(model: unknown): boolean {
  try {
    if (!isLayersModel(model)) return false;
    if ((model as unknown as { _refCount: number | null })._refCount === 0) return false;
    for (const weight of model.weights) {
      if (weight.read().isDisposed) return false;
    }
    return true;
  } catch {
    return false;
  }
}
