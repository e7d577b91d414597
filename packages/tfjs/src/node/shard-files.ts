import { constants } from 'node:fs';
import { open, realpath, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { ModelBundleError } from '@modelbundle/core';
import { ioError } from '@modelbundle/core/node';
import type * as tf from '@tensorflow/tfjs-core';
import { elementCount } from '../dtypes.js';

/**
 * Weight shards of a model.json are read only from inside the model
 * directory, by real path: a shard that is a symlink (or sits in a symlinked
 * folder) pointing elsewhere would pull any readable file into the bundle.
 * Only regular files are read (not a FIFO that never ends, not a device).
 */
export async function readShard(dir: string, shard: string, jsonPath: string): Promise<Uint8Array> {
  const realDir = await realpath(dir).catch((e) => Promise.reject(ioError('read', dir, e)));
  const file = resolve(dir, shard);
  const outside = (path: string, root: string) => {
    const rel = relative(root, path);
    return rel === '' || rel.startsWith('..') || isAbsolute(rel);
  };
  const refuse = (why: string) =>
    new ModelBundleError(
      'INVALID_ARGUMENT',
      `${jsonPath} lists the weight file "${shard}", which ${why}. Weight files must be regular files inside the model directory (${dir}), not links out of it.`,
      { details: { shard } },
    );
  if (outside(file, resolve(dir))) throw refuse('lies outside the model directory');
  const real = await realpath(file).catch((e) => Promise.reject(ioError('read the weight file', file, e)));
  if (outside(real, realDir)) throw refuse(`resolves to ${real}, outside the model directory`);
  // Checked before opening: opening a FIFO for reading blocks until a writer comes; O_NONBLOCK covers a swap in between.
  if (!(await stat(real).catch((e) => Promise.reject(ioError('read the weight file', real, e)))).isFile()) throw refuse('is not a regular file');
  const handle = await open(real, constants.O_RDONLY | constants.O_NONBLOCK).catch((e) => Promise.reject(ioError('read the weight file', real, e)));
  try {
    if (!(await handle.stat()).isFile()) throw refuse('is not a regular file');
    return new Uint8Array(await handle.readFile());
  } finally {
    await handle.close();
  }
}

/** Bytes one manifest weight takes in its shards: quantized size when quantized; undefined for strings (variable size). */
function weightBytes(spec: tf.io.WeightsManifestEntry): number | undefined {
  const perValue: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2, complex64: 8 };
  const dtype = spec.quantization?.dtype ?? spec.dtype;
  const bytes = perValue[dtype];
  if (bytes === undefined || !Array.isArray(spec.shape) || !spec.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) return undefined;
  return elementCount(spec.shape) * bytes;
}

/**
 * tfjs reads a group's weights one after another from its shards joined;
 * bytes left over were silently dropped, and too few bytes failed deep in
 * tfjs. Requires the shards of each group to hold exactly what its weights take.
 */
export function assertShardsConsumed(group: tf.io.WeightsManifestConfig[number], shardBytes: number, jsonPath: string): void {
  let needed = 0;
  for (const spec of group.weights) {
    const bytes = weightBytes(spec);
    if (bytes === undefined) return; // string weights have no fixed size: tfjs's decoder checks them
    needed += bytes;
  }
  if (needed !== shardBytes) {
    throw new ModelBundleError(
      'MALFORMED',
      `The weight files [${group.paths.slice(0, 5).join(', ')}${group.paths.length > 5 ? ', ...' : ''}] of ${jsonPath} hold ${shardBytes} bytes, but the weights they list take ${needed}. The shards and the manifest disagree (a truncated, extended or swapped file); export the model again.`,
      { details: { shardBytes, needed } },
    );
  }
}
