import type { Header } from '@modelbundle/core';

/** True when a model imported from Keras uses tfjs classes of @modelbundle/keras (its summary lists them): restoring it needs registerKerasLayers(). */
export function needsKerasLayers(header: Header | undefined): boolean {
  const keras = (header?.summary as { keras?: { kerasClasses?: unknown } } | undefined)?.keras;
  return Array.isArray(keras?.kerasClasses) && keras.kerasClasses.length > 0;
}
