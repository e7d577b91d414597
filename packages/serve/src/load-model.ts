import {
  type BundleSource,
  defaultRegistry,
  type Header,
  ModelBundleError,
  type Predictor,
  type Ptype,
  type Registry,
  readPtype,
  toBundle,
  type UnbundleOptions,
} from '@modelbundle/core';
import { toHex } from '@modelbundle/core/internal';
import { type UnbundleFileOptions, unbundleFile } from '@modelbundle/core/node';

/**
 * Where the server gets its model: a bundle (or its bytes) in memory, or a
 * bundle file (`onProgress` hears how much of it has been read, as
 * `unbundleFile` reports it); with `trustedKeys`, only a bundle signed by
 * one of them is served (SIGNATURE_INVALID otherwise; core's unbundle checks it).
 */
export type ModelSource = ({ bundle: BundleSource; path?: undefined } | { path: string; bundle?: undefined; onProgress?: UnbundleFileOptions['onProgress'] }) &
  Pick<UnbundleOptions, 'trustedKeys'>;

/** A restored model ready to serve. */
export interface LoadedModel {
  header: Header;
  predictor: Predictor;
  /** The predictor's input prototype, read and bounded by core's readPtype (null: the model describes none). */
  ptype: Ptype | null;
  /** The header digest (hex): it covers every byte of the bundle. */
  digest: string;
  /** The restored value itself, as its serializer returned it. */
  value: unknown;
}

/**
 * Reads, verifies and restores a bundle through the registry, and asks its
 * serializer for a predictor. Works for any kind the registry knows (or can
 * autoload); NO_PREDICTOR when the kind cannot predict, MALFORMED when its
 * ptype is not one (or breaks a bound). A file is restored with
 * `unbundleFile`, so a large model whose serializer streams (tfjs) is read
 * one section at a time.
 */
export async function loadModel(source: ModelSource, registry: Registry = defaultRegistry): Promise<LoadedModel> {
  const trust = source.trustedKeys ? { trustedKeys: source.trustedKeys } : {};
  let restored: { header: Header; headerDigest: Uint8Array; value: unknown };
  if (typeof source.path === 'string') {
    const { value, head } = await unbundleFile(source.path, { ...trust, registry, ...(source.onProgress ? { onProgress: source.onProgress } : {}) });
    restored = { header: head.header, headerDigest: head.headerDigest, value };
  } else if (source.bundle !== undefined) {
    const decoded = await toBundle(source.bundle);
    restored = { header: decoded.header, headerDigest: decoded.headerDigest, value: await registry.unbundle(decoded, trust) };
  } else throw new ModelBundleError('INVALID_ARGUMENT', 'createServer() needs { bundle } or { path }; neither was given.');
  const { header, headerDigest, value } = restored;
  const predictor = registry.predictor(header.kind, value);
  const ptype = readPtype(predictor.ptype ?? header.ptype);
  return { header, predictor, ptype, digest: toHex(headerDigest), value };
}
