import { ModelBundleError } from '@modelbundle/core';
import type { KerasLimits } from '../limits.js';
import { isObject, parseJson } from '../translate/keras-json.js';
import { kerasWeightPaths, legacyWeightOrder, type WeightNode } from '../translate/weight-node.js';
import { type H5Tensor, Hdf5File } from './hdf5.js';
import { ZipArchive } from './zip.js';

/** Which Keras file format a model came from (recorded in the bundle summary). */
export type KerasSourceFormat = 'keras' | 'h5' | 'tfjs';

/** A Keras model as read from a file: its config, the Keras version that wrote it, and a way to fetch its weights. */
export interface KerasSource {
  format: KerasSourceFormat;
  /** The Keras version that wrote the file (`3.5.0`, `2.15.0`), or `unknown`. */
  kerasVersion: string;
  /** The model's serialized config (Keras 2 or 3 form). */
  config: unknown;
  /** Every weight of the translated model, by tfjs name, in the file's order. */
  weights(model: WeightNode): [string, H5Tensor][];
}

function missing(layer: string, what: string): ModelBundleError {
  return new ModelBundleError(
    'MALFORMED',
    `The weights of layer "${layer}" are missing: ${what}. The file holds a different model than its config describes; save the model again.`,
    {
      details: { layer },
    },
  );
}

/** Reads a `.keras` zip: config.json, metadata.json and model.weights.h5 (Keras 3, and Keras 2.13-2.15's layout). */
export function readKerasZip(bytes: Uint8Array, limits: KerasLimits): KerasSource {
  const zip = new ZipArchive(bytes, limits);
  const configBytes = zip.read('config.json', limits.maxConfigBytes);
  if (!configBytes) {
    throw new ModelBundleError('MALFORMED', 'The zip has no config.json, so it is not a .keras model file. Give the file model.save("model.keras") wrote.', {
      details: { entries: [...zip.entries.keys()].slice(0, 20) },
    });
  }
  const config = parseJson(configBytes, 'config.json', limits.maxConfigBytes, limits.maxDepth);
  const metadataBytes = zip.read('metadata.json', limits.maxConfigBytes);
  const metadata = metadataBytes ? parseJson(metadataBytes, 'metadata.json', limits.maxConfigBytes, limits.maxDepth) : {};
  const kerasVersion = isObject(metadata) && typeof metadata.keras_version === 'string' ? metadata.keras_version : 'unknown';
  const weightsBytes = zip.read('model.weights.h5');
  if (!weightsBytes) {
    if (zip.entries.has('model.weights.npz')) {
      throw new ModelBundleError(
        'MALFORMED',
        'The .keras file stores its weights as model.weights.npz; only the HDF5 weights Keras writes by default are read. Save the model with the default weights format.',
      );
    }
    throw new ModelBundleError('MALFORMED', 'The .keras file has no model.weights.h5: the file is incomplete. Save the model again.');
  }
  // An inflated entry is a new buffer of its own; a stored one is a view of the caller's file (the reader copies it).
  const h5 = new Hdf5File(weightsBytes, limits, zip.entries.get('model.weights.h5')?.method === 8);
  // Keras 2.13-2.15 called the layer list _layer_checkpoint_dependencies; on Windows they joined paths with backslashes.
  const legacyList = h5.isGroup('_layer_checkpoint_dependencies') || h5.keys('').some((k) => k.startsWith('_layer_checkpoint_dependencies\\'));
  const resolve = (path: string): string | undefined => {
    const candidate = legacyList ? path.replace(/(^|\/)layers(\/|$)/g, '$1_layer_checkpoint_dependencies$2') : path;
    if (h5.isDataset(candidate)) return candidate;
    // A Windows writer made one group per joined path: "layers\\dense" holding "vars".
    const cut = candidate.lastIndexOf('/vars/');
    if (cut > 0) {
      const joined = `${candidate.slice(0, cut).replaceAll('/', '\\')}/vars/${candidate.slice(cut + 6)}`;
      if (h5.isDataset(joined)) return joined;
    }
    return undefined;
  };
  return {
    format: 'keras',
    kerasVersion,
    config,
    weights(model) {
      // The list's naming in _layer_checkpoint_dependencies changed in Keras 2.14: try the writer's own first, then the other.
      const schemes = legacyList ? (/^2\.(\d|1[0-3])\./.test(kerasVersion) ? [true, false] : [false, true]) : [false];
      const tried = schemes.map((countedTwice) => kerasWeightPaths(model, '', countedTwice));
      const paths = tried[0] as [string, string][];
      if (paths.length > limits.maxWeights)
        throw new ModelBundleError('LIMIT_EXCEEDED', `The model has ${paths.length} weights; at most ${limits.maxWeights} are read.`);
      const resolved = tried.map((scheme) => scheme.map(([, path]) => resolve(path)));
      const found = resolved.find((r) => r.every((f) => f !== undefined)) ?? (resolved[0] as (string | undefined)[]);
      return paths.map(([name, path], i) => {
        const at = found[i];
        if (!at) throw missing(name.split('/')[0] as string, `model.weights.h5 has no dataset "${path}" for the weight ${name}`);
        return [name, h5.tensor(at)];
      });
    },
  };
}

/** A string list attribute, also when Keras split a long one into `name0`, `name1`, ... (HDF5's 64 KiB attribute limit). */
function stringList(attrs: Record<string, unknown>, key: string): string[] | undefined {
  const value = attrs[key];
  if (Array.isArray(value)) return value.map(String);
  if (typeof value === 'string') return [value];
  if (Array.isArray(attrs[`${key}0`])) {
    const out: string[] = [];
    for (let i = 0; Array.isArray(attrs[`${key}${i}`]); i++) out.push(...(attrs[`${key}${i}`] as unknown[]).map(String));
    return out;
  }
  return undefined;
}

/** Reads a legacy whole-model HDF5 file (Keras 2.x or Keras 3's `.h5`): model_config plus model_weights. */
export function readLegacyH5(bytes: Uint8Array, limits: KerasLimits): KerasSource {
  const h5 = new Hdf5File(bytes, limits);
  const attrs = h5.attrs('');
  const modelConfig = attrs.model_config;
  if (typeof modelConfig !== 'string') {
    throw new ModelBundleError(
      'MALFORMED',
      h5.keys('').length > 0 && stringList(attrs, 'layer_names')
        ? 'The HDF5 file holds weights only (model.save_weights), no model config: it cannot be imported on its own. Save the whole model with model.save("model.keras") instead.'
        : 'The HDF5 file has no model_config attribute, so it is not a Keras whole-model file. Save the model with model.save().',
    );
  }
  const config = parseJson(modelConfig, 'model_config attribute', limits.maxConfigBytes, limits.maxDepth);
  const kerasVersion = typeof attrs.keras_version === 'string' ? attrs.keras_version : 'unknown';
  const root = h5.isGroup('model_weights') ? 'model_weights' : '';
  return {
    format: 'h5',
    kerasVersion,
    config,
    weights(model) {
      const out: [string, H5Tensor][] = [];
      const members = model.layers.length > 0 ? model.layers : [model];
      for (const layer of members) {
        const expected = legacyWeightOrder(layer);
        const layerName = layer.name ?? '';
        const group = `${root ? `${root}/` : ''}${layerName}`;
        const names = h5.isGroup(group) ? (stringList(h5.attrs(group), 'weight_names') ?? []) : [];
        if (names.length !== expected.length) {
          throw missing(layerName, `the file lists ${names.length} weight${names.length === 1 ? '' : 's'} for it, its config needs ${expected.length}`);
        }
        if (out.length + names.length > limits.maxWeights)
          throw new ModelBundleError('LIMIT_EXCEEDED', `The model has more than ${limits.maxWeights} weights.`);
        names.forEach((weightName, i) => {
          const path = `${group}/${weightName}`;
          if (!h5.isDataset(path)) throw missing(layerName, `the dataset "${path}" is missing`);
          out.push([expected[i] as string, h5.tensor(path)]);
        });
      }
      return out;
    },
  };
}
