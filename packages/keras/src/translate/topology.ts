import { ModelBundleError } from '@modelbundle/core';
import type { KerasLimits } from '../limits.js';
import { type Json, kerasObject } from './keras-json.js';
import type { TranslatedLayer } from './layers.js';
import { translateModel } from './model.js';

/** A Keras model config in tfjs topology form, with where its weights live. */
export interface TranslatedModel {
  /** The `modelTopology` tfjs-layers reads: `{class_name, config, keras_version, backend}`. */
  topology: Json;
  root: TranslatedLayer['node'];
  /** Classes of this package the topology uses (restoring then needs registerKerasLayers()). */
  kerasClasses: string[];
}

/** The Keras major version of a version string (`3.5.0` -> 3); unknown versions count as the config's style. */
export function kerasMajorOf(version: string, config: unknown): number {
  const major = Number.parseInt(version, 10);
  if (Number.isFinite(major)) return major;
  // Keras 3 configs carry `module` on every object; Keras 2's never do (2.13-2.15 .keras files do, and say their version).
  return JSON.stringify(config).includes('"module"') ? 3 : 2;
}

/** Translates a model config (Keras 2 or 3 serialization) for the Keras version that wrote it. */
export function translateTopology(config: unknown, kerasVersion: string, limits: KerasLimits): TranslatedModel {
  const object = kerasObject(config, 'model');
  if (!['Sequential', 'Functional', 'Model'].includes(object.className)) {
    throw new ModelBundleError(
      'UNKNOWN_CLASS',
      `The file holds a model of class "${object.registeredName ?? object.className}", a subclassed model: its structure is Python code, not data, so it cannot be imported. Rebuild it as a Sequential or functional model (keras.Model(inputs, outputs)) and save that; or write the model in tfjs and register its custom classes with tf.serialization.registerClass.`,
      { details: { class: object.registeredName ?? object.className } },
    );
  }
  const kerasClasses = new Set<string>();
  const context = {
    kerasMajor: kerasMajorOf(kerasVersion, config),
    maxDepth: limits.maxDepth,
    maxLayers: limits.maxLayers,
    layerCount: 0,
    kerasClasses,
    model: translateModel,
  };
  const translated = translateModel(object, context, 0);
  return {
    topology: { ...translated.json, keras_version: kerasVersion, backend: 'tensor_flow.js' },
    root: translated.node,
    kerasClasses: [...kerasClasses],
  };
}
