import { type Bundle, type BundleSource, decodeBundle, defaultRegistry, type Header, ModelBundleError, type Predictor, type Registry } from '@modelbundle/core';
import { readBundle } from '@modelbundle/core/node';

/** Where the server gets its model: a bundle (or its bytes) in memory, or a bundle file. */
export type ModelSource = { bundle: BundleSource; path?: undefined } | { path: string; bundle?: undefined };

/** A restored model ready to serve. */
export interface LoadedModel {
  header: Header;
  predictor: Predictor;
  /** The restored value itself, as its serializer returned it. */
  value: unknown;
}

/**
 * Reads, verifies and restores a bundle through the registry, and asks its
 * serializer for a predictor. Works for any kind the registry knows (or can
 * autoload); NO_PREDICTOR when the kind cannot predict.
 */
export async function loadModel(source: ModelSource, registry: Registry = defaultRegistry): Promise<LoadedModel> {
  let bundle: Bundle | BundleSource;
  if (typeof source.path === 'string') bundle = await readBundle(source.path);
  else if (source.bundle !== undefined) bundle = source.bundle;
  else throw new ModelBundleError('INVALID_ARGUMENT', 'createServer() needs { bundle } or { path }; neither was given.');
  const decoded = isBundle(bundle) ? bundle : await toDecoded(bundle);
  const value = await registry.unbundle(decoded);
  const predictor = registry.predictor(decoded.header.kind, value);
  return { header: decoded.header, predictor, value };
}

async function toDecoded(source: BundleSource): Promise<Bundle> {
  if (typeof Blob !== 'undefined' && source instanceof Blob) return decodeBundle(await source.arrayBuffer());
  if (typeof Response !== 'undefined' && source instanceof Response) return decodeBundle(await source.arrayBuffer());
  return decodeBundle(source as ArrayBuffer | ArrayBufferView);
}

function isBundle(value: unknown): value is Bundle {
  return typeof value === 'object' && value !== null && 'header' in value && 'sections' in value && (value as Bundle).sections instanceof Map;
}
