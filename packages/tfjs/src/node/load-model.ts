import { stat } from 'node:fs/promises';
import { openBundleHead } from '@modelbundle/core';
import { type BundleFile, ioError, openBundleFile, readBundle, WHOLE_FILE_BYTES } from '@modelbundle/core/node';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { copiesWrittenValues, ensureBackend } from '../backend.js';
import { type BundleToModelOptions, bundleToModel, tfjsSerializerOf } from '../convert.js';
import { modelFromSections } from '../parts.js';

/**
 * Loads a layers model from a bundle file, with every check of
 * {@link bundleToModel}: digests, trust, payload version, requirements,
 * registered classes, section sizes. On a backend that copies weights into
 * memory of its own (wasm), a file larger than `WHOLE_FILE_BYTES` (16 MiB)
 * is read one section at a time, each section verified and put into the
 * backend's heap before the next is read, so loading holds the weights once
 * plus one buffer the size of the largest section
 * (`bundleToModel(await readBundle(path))` holds them twice). Otherwise,
 * and for a payload that must be migrated first, it is that: a small file
 * costs less in one read than in one per section. Every section is
 * verified either way; a damaged one fails the load with CORRUPT, the
 * half-built model disposed. The caller owns the model (dispose it).
 */
export async function loadModel(path: string, options: BundleToModelOptions = {}): Promise<LayersModel> {
  await ensureBackend();
  if (copiesWrittenValues() && (await fileSize(path)) > WHOLE_FILE_BYTES) {
    const file = await openBundleFile(path, { verify: options.skipVerify !== true });
    try {
      const { readsAsIs } = await openBundleHead(file.head, tfjsSerializerOf, options);
      if (readsAsIs) return await streamed(file);
    } finally {
      await file.close();
    }
  }
  return bundleToModel(await readBundle(path), options);
}

/** The model, its sections read one at a time; then any section it did not use is checked too, as readBundle checks every one. */
async function streamed(file: BundleFile): Promise<LayersModel> {
  const { sections } = file.head.header;
  const lengths = new Map(sections.map((entry) => [entry.name, { byteLength: entry.length }]));
  const read = new Set<string>();
  const model = await modelFromSections(file.head.header.payload, {
    lengths,
    read: (name, into) => {
      read.add(name);
      return file.readSection(name, into);
    },
  });
  try {
    const unread = sections.filter((entry) => !read.has(entry.name));
    const scratch = new Uint8Array(Math.max(0, ...unread.map((entry) => entry.length)));
    for (const entry of unread) await file.readSection(entry.name, scratch);
  } catch (cause) {
    model.dispose();
    throw cause;
  }
  return model;
}

async function fileSize(path: string): Promise<number> {
  return (await stat(path).catch((e) => Promise.reject(ioError('open', path, e)))).size;
}
