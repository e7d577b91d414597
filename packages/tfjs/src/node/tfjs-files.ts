import { mkdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { type Bundle, type BundleOptions, ModelBundleError } from '@modelbundle/core';
import { parseJson } from '@modelbundle/core/internal';
import { ioError, readBundle, writeFileAtomic } from '@modelbundle/core/node';
import type * as tf from '@tensorflow/tfjs-core';
import { artifactsToBundle, bundleToArtifacts } from '../convert.js';

/** Options for {@link exportTfjs}. */
export interface ExportTfjsOptions {
  /** Largest weight file, in bytes (default 4 MiB, as the tfjs converter writes). */
  shardBytes?: number;
}

/**
 * Writes a bundle as a standard tfjs model directory: `model.json` plus
 * `group1-shardNofM.bin` weight files that plain `tf.loadLayersModel` reads.
 * The weight files are written first and `model.json` last, each through a
 * temp file and a rename, so a reader never sees a manifest without weights.
 * @returns the path of the written model.json.
 */
export async function exportTfjs(source: Bundle | Uint8Array | string, dir: string, options: ExportTfjsOptions = {}): Promise<string> {
  const shardBytes = options.shardBytes ?? 4 * 1024 * 1024;
  if (!Number.isSafeInteger(shardBytes) || shardBytes < 1) {
    throw new ModelBundleError('INVALID_ARGUMENT', `shardBytes is ${shardBytes}; expected a positive integer number of bytes.`);
  }
  const artifacts = await bundleToArtifacts(typeof source === 'string' ? await readBundle(source) : source);
  const data = artifacts.weightData ?? [];
  const weights = (Array.isArray(data) ? data : [data]).map((b) => new Uint8Array(b));
  const shards = shardViews(weights, shardBytes);
  const paths = shards.map((_, i) => `group1-shard${i + 1}of${shards.length}.bin`);
  await mkdir(dir, { recursive: true }).catch((e) => Promise.reject(ioError('create the directory', dir, e)));
  for (const [i, shard] of shards.entries()) await writeFileAtomic(join(dir, paths[i] as string), shard);
  const modelJson: tf.io.ModelJSON = {
    modelTopology: artifacts.modelTopology as object,
    weightsManifest: [{ paths, weights: artifacts.weightSpecs ?? [] }],
    format: artifacts.format ?? 'layers-model',
    generatedBy: artifacts.generatedBy ?? 'modelbundle',
    convertedBy: artifacts.convertedBy ?? null,
    ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
    ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
  };
  const target = join(dir, 'model.json');
  await writeFileAtomic(target, [new TextEncoder().encode(JSON.stringify(modelJson))]);
  return target;
}

/** Options for {@link importTfjs}: header fields of the new bundle. */
export type ImportTfjsOptions = Pick<BundleOptions, 'metadata' | 'created'>;

/**
 * Makes a bundle from a standard tfjs layers-model directory (or its
 * model.json path): the topology plus every weight shard the manifest lists,
 * in order, as the tfjs converter writes them for Keras models. Quantized
 * weights are decoded to float32. Weight paths may not leave the directory.
 */
export async function importTfjs(path: string, options: ImportTfjsOptions = {}): Promise<Bundle> {
  const jsonPath = (await stat(path).catch((e) => Promise.reject(ioError('read', path, e)))).isDirectory() ? join(path, 'model.json') : path;
  const dir = dirname(resolve(jsonPath));
  const modelJson = parseModelJson(await readFile(jsonPath).catch((e) => Promise.reject(ioError('read', jsonPath, e))), jsonPath);
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const weightData: ArrayBuffer[] = [];
  for (const group of modelJson.weightsManifest) {
    weightSpecs.push(...group.weights);
    for (const shard of group.paths) {
      const file = resolve(dir, shard);
      const rel = relative(dir, file);
      if (rel.startsWith('..') || rel.startsWith(sep) || rel === '') {
        throw new ModelBundleError(
          'INVALID_ARGUMENT',
          `${jsonPath} lists the weight file "${shard}", which lies outside ${dir}. Weight paths must be relative and inside the model directory.`,
        );
      }
      const bytes = await readFile(file).catch((e) => Promise.reject(ioError('read the weight file', file, e)));
      weightData.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
    }
  }
  return artifactsToBundle(
    {
      modelTopology: modelJson.modelTopology,
      weightSpecs,
      weightData,
      ...(modelJson.trainingConfig ? { trainingConfig: modelJson.trainingConfig } : {}),
      ...(modelJson.format ? { format: modelJson.format } : {}),
      ...(modelJson.generatedBy ? { generatedBy: modelJson.generatedBy } : {}),
      ...(modelJson.convertedBy !== undefined ? { convertedBy: modelJson.convertedBy } : {}),
      ...(modelJson.userDefinedMetadata ? { userDefinedMetadata: modelJson.userDefinedMetadata } : {}),
    },
    options,
  );
}

function parseModelJson(bytes: Uint8Array, path: string): tf.io.ModelJSON {
  const json = parseJson(bytes, path, 'Give the model.json the tfjs converter or model.save wrote.');
  const m = json as Partial<tf.io.ModelJSON> | null;
  const groups = m?.weightsManifest;
  const okGroups =
    Array.isArray(groups) && groups.every((g) => g && Array.isArray(g.paths) && g.paths.every((p) => typeof p === 'string') && Array.isArray(g.weights));
  if (!m || typeof m.modelTopology !== 'object' || m.modelTopology === null || !okGroups) {
    throw new ModelBundleError(
      'MALFORMED',
      `${path} is not a tfjs layers model.json: it needs a modelTopology object and a weightsManifest list of { paths, weights }. Graph models are not supported.`,
    );
  }
  const topology = m.modelTopology as { keras_version?: unknown };
  if (typeof topology.keras_version === 'string' && Number.parseInt(topology.keras_version, 10) >= 3) {
    throw new ModelBundleError(
      'UNSUPPORTED_PAYLOAD',
      `${path} holds a Keras ${topology.keras_version} model, whose topology tfjs-layers cannot read (batch_shape, module wrappers, DTypePolicy). Import the folder with importKeras from @modelbundle/keras/node (or \`modelbundle import\`), which translates it.`,
    );
  }
  if (m.format !== undefined && m.format !== 'layers-model') {
    throw new ModelBundleError('SERIALIZATION_FAILED', `${path} holds a "${m.format}"; only tfjs layers models can be bundled.`);
  }
  return m as tf.io.ModelJSON;
}

/** Splits a list of byte chunks into shards of `shardBytes` (the last may be shorter), as lists of views. */
function shardViews(chunks: readonly Uint8Array[], shardBytes: number): Uint8Array[][] {
  const shards: Uint8Array[][] = [[]];
  let room = shardBytes;
  for (let chunk of chunks) {
    while (chunk.byteLength > 0) {
      if (room === 0) {
        shards.push([]);
        room = shardBytes;
      }
      const piece = chunk.subarray(0, room);
      (shards[shards.length - 1] as Uint8Array[]).push(piece);
      room -= piece.byteLength;
      chunk = chunk.subarray(piece.byteLength);
    }
  }
  return shards;
}
