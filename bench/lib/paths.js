// The three ways to save and to load a model that every comparison lines up:
// ours (bundle file), tfjs's own (model.json + weights.bin, as tfjs-node's
// file:// handler writes them) and the floor (raw weight bytes, nothing else).
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeBundle } from '@modelbundle/core/node';
import { modelToBundle } from '@modelbundle/tfjs';
import { loadModel, saveModel } from '@modelbundle/tfjs/node';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

/**
 * Writes chunks to a file and fsyncs it. Our writer syncs (it is atomic and
 * durable); the baselines sync too, so the comparison measures the format,
 * not the disk's write-back policy. `sync: false` gives tfjs-node as shipped.
 */
async function writeChunks(path, chunks, sync = true) {
  const handle = await open(path, 'w');
  try {
    for (const c of chunks) {
      for (let done = 0; done < c.byteLength; ) done += (await handle.write(c, done, Math.min(c.byteLength - done, 0x7fff0000))).bytesWritten;
    }
    if (sync) await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Reads a whole file; its bytes as an ArrayBuffer of its own (no copy when Node gave one). */
async function readArrayBuffer(path) {
  const b = await readFile(path);
  return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? b.buffer : b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
}

/** Weight data (one buffer or a list of them) as views, without joining. */
function weightViews(data) {
  return (Array.isArray(data) ? data : [data]).map((b) => new Uint8Array(b));
}

export function createPaths(dir, { sync = true } = {}) {
  const bundlePath = join(dir, 'model.mbnd');
  const jsonPath = join(dir, 'model.json');
  const binPath = join(dir, 'weights.bin');
  const rawPath = join(dir, 'raw.bin');
  /** Topology and specs the floor keeps in memory: it pays for no metadata I/O at all. */
  let floorMeta;

  return {
    bundlePath,
    jsonPath,
    binPath,
    rawPath,
    save: {
      ours: (model) => saveModel(bundlePath, model),
      // The bundle built whole first, then written: every weight copied out of the backend before the write starts.
      oursWhole: async (model) => writeBundle(bundlePath, await modelToBundle(model)),
      tfjs: (model) =>
        model.save(
          tf.io.withSaveHandler(async (artifacts) => {
            const modelJson = {
              modelTopology: artifacts.modelTopology,
              format: artifacts.format,
              generatedBy: artifacts.generatedBy,
              convertedBy: artifacts.convertedBy,
              weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
            };
            await writeChunks(jsonPath, [Buffer.from(JSON.stringify(modelJson))], sync);
            await writeChunks(binPath, weightViews(artifacts.weightData), sync);
            return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
          }),
        ),
      floor: async (model) => {
        const values = [];
        for (const w of model.weights) {
          const v = await w.read().data();
          values.push(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
        }
        await writeChunks(rawPath, values, sync);
        floorMeta ??= {
          modelTopology: model.toJSON(null, false),
          weightSpecs: model.weights.map((w) => ({ name: w.originalName, shape: w.shape, dtype: w.dtype })),
        };
      },
    },
    load: {
      ours: () => loadModel(bundlePath),
      tfjs: async () => {
        const modelJson = JSON.parse(await readFile(jsonPath, 'utf8'));
        const weightData = await readArrayBuffer(binPath);
        return tfl.loadLayersModel(
          tf.io.fromMemory({ modelTopology: modelJson.modelTopology, weightSpecs: modelJson.weightsManifest[0].weights, weightData, format: modelJson.format }),
        );
      },
      floor: async () => {
        const weightData = await readArrayBuffer(rawPath);
        return tfl.loadLayersModel(tf.io.fromMemory({ ...floorMeta, weightData }));
      },
    },
  };
}
