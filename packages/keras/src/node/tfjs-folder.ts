import { readFile } from 'node:fs/promises';
import { dirname, relative, resolve, sep } from 'node:path';
import { type Bundle, ModelBundleError } from '@modelbundle/core';
import { ioError } from '@modelbundle/core/node';
import { artifactsToBundle } from '@modelbundle/tfjs';
import { type KerasToBundleOptions, kerasArtifacts } from '../import.js';
import { DEFAULT_LIMITS } from '../limits.js';
import { copyBytes } from '../read/copy.js';
import type { H5Tensor } from '../read/hdf5.js';
import { isObject, parseJson } from '../translate/keras-json.js';
import { kerasMajorOf } from '../translate/topology.js';
import { kerasWeightPaths } from '../translate/weight-node.js';

/** The model config inside a model.json's modelTopology (the converter nests it under model_config). */
function modelConfigOf(json: unknown): { config: unknown; version: string } {
  const topology = isObject(json) ? json.modelTopology : undefined;
  if (!isObject(topology)) throw new ModelBundleError('MALFORMED', 'The model.json has no modelTopology object; give the model.json the tfjs converter wrote.');
  const config = isObject(topology.model_config) ? topology.model_config : topology;
  return { config, version: typeof topology.keras_version === 'string' ? topology.keras_version : 'unknown' };
}

/** True when a model.json holds a Keras 3 model (which plain tfjs-layers refuses). */
export function isKeras3ModelJson(bytes: Uint8Array): boolean {
  const json = parseJson(bytes, 'model.json', DEFAULT_LIMITS.maxConfigBytes, DEFAULT_LIMITS.maxDepth);
  const { config, version } = modelConfigOf(json);
  return kerasMajorOf(version, config) >= 3;
}

/**
 * Imports a tfjs model.json written for a Keras 3 model (`batch_shape`,
 * `module`/`registered_name` wrappers, DTypePolicy objects, `args`/`kwargs`
 * inbound nodes, weight names with a model prefix): the topology is
 * translated as for a `.keras` file, the weights are taken in the manifest's
 * order (Keras's own weight order) and checked by shape.
 */
export async function importKerasTfjsFolder(jsonPath: string, options: KerasToBundleOptions = {}): Promise<Bundle> {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const bytes = await readFile(jsonPath).catch((e) => Promise.reject(ioError('read', jsonPath, e)));
  const json = parseJson(bytes, 'model.json', limits.maxConfigBytes, limits.maxDepth) as { weightsManifest?: unknown };
  const { config, version } = modelConfigOf(json);
  const groups = Array.isArray(json.weightsManifest) ? json.weightsManifest : [];
  const dir = dirname(resolve(jsonPath));
  const specs: { name: string; shape: number[]; dtype: string }[] = [];
  const chunks: Uint8Array[] = [];
  for (const group of groups) {
    if (!isObject(group) || !Array.isArray(group.paths) || !Array.isArray(group.weights))
      throw new ModelBundleError('MALFORMED', `${jsonPath} has a weightsManifest entry that is not { paths, weights }.`);
    specs.push(...(group.weights as typeof specs));
    for (const shard of group.paths) {
      const file = resolve(dir, String(shard));
      const rel = relative(dir, file);
      if (rel.startsWith('..') || rel.startsWith(sep) || rel === '') {
        throw new ModelBundleError(
          'INVALID_ARGUMENT',
          `${jsonPath} lists the weight file "${String(shard)}", outside its folder; weight paths must stay inside it.`,
        );
      }
      chunks.push(await readFile(file).catch((e) => Promise.reject(ioError('read the weight file', file, e))));
    }
  }
  const data = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const c of chunks) {
    data.set(c, at);
    at += c.byteLength;
  }
  const tensors: H5Tensor[] = [];
  let offset = 0;
  for (const spec of specs) {
    if (spec.dtype !== 'float32' || !Array.isArray(spec.shape) || (spec as { quantization?: unknown }).quantization) {
      throw new ModelBundleError(
        'MALFORMED',
        `The weight "${spec.name}" is ${spec.dtype}${(spec as { quantization?: unknown }).quantization ? ' quantized' : ''}; Keras 3 tfjs exports are imported from plain float32 weights only.`,
      );
    }
    const count = spec.shape.reduce((a, b) => a * b, 1);
    if (offset + count * 4 > data.byteLength)
      throw new ModelBundleError('MALFORMED', `The weight files end before the weight "${spec.name}"; copy the whole model folder.`);
    tensors.push({ shape: spec.shape, values: new Float32Array(copyBytes(data.subarray(offset, offset + count * 4)).buffer) });
    offset += count * 4;
  }
  const { artifacts, summary } = await kerasArtifacts(
    {
      format: 'tfjs',
      kerasVersion: version,
      config,
      weights(model) {
        const names = kerasWeightPaths(model, '').map(([name]) => name);
        if (names.length !== tensors.length) {
          throw new ModelBundleError('MALFORMED', `The model.json lists ${tensors.length} weights; the model its topology describes has ${names.length}.`);
        }
        return names.map((name, i) => [name, tensors[i] as H5Tensor]);
      },
    },
    options,
  );
  return artifactsToBundle(artifacts, {
    ...(options.metadata ? { metadata: options.metadata } : {}),
    ...(options.created ? { created: options.created } : {}),
    summary: { keras: summary },
  });
}
