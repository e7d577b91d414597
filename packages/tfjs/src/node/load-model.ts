import { openBundleHead } from '@modelbundle/core';
import { openBundleFile, readBundle } from '@modelbundle/core/node';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { copiesWrittenValues, ensureBackend } from '../backend.js';
import { type BundleToModelOptions, bundleToModel, tfjsSerializerOf } from '../convert.js';
import { modelFromSections } from '../parts.js';

/**
 * Loads a layers model from a bundle file, with every check of
 * {@link bundleToModel}: digests, trust, payload version, requirements,
 * registered classes, section sizes. On a backend that copies weights into
 * memory of its own (wasm) the file is read one section at a time, each
 * section verified and put into the backend's heap before the next is
 * read, so loading holds the weights once plus one buffer the size of the
 * largest section (`bundleToModel(await readBundle(path))` holds them
 * twice). Elsewhere, and for a payload that must be migrated first, it is
 * that. A damaged section fails the load with CORRUPT, the half-built model
 * disposed. The caller owns the model (dispose it).
 */
export async function loadModel(path: string, options: BundleToModelOptions = {}): Promise<LayersModel> {
  await ensureBackend();
  if (copiesWrittenValues()) {
    const file = await openBundleFile(path, { verify: options.skipVerify !== true });
    try {
      const { readsAsIs } = await openBundleHead(file.head, tfjsSerializerOf, options);
      const { header } = file.head;
      if (readsAsIs) {
        const lengths = new Map(header.sections.map((entry) => [entry.name, { byteLength: entry.length }]));
        return await modelFromSections(header.payload, { lengths, read: (name, into) => file.readSection(name, into) });
      }
    } finally {
      await file.close();
    }
  }
  return bundleToModel(await readBundle(path), options);
}
