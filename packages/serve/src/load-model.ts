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
import { readBundle } from '@modelbundle/core/node';

/**
 * Where the server gets its model: a bundle (or its bytes) in memory, or a
 * bundle file; with `trustedKeys`, only a bundle signed by one of them is
 * served (SIGNATURE_INVALID otherwise; core's unbundle checks it).
 */
export type ModelSource = ({ bundle: BundleSource; path?: undefined } | { path: string; bundle?: undefined }) & Pick<UnbundleOptions, 'trustedKeys'>;

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
 * ptype is not one (or breaks a bound).
 */
export async function loadModel(source: ModelSource, registry: Registry = defaultRegistry): Promise<LoadedModel> {
  let bundle: BundleSource;
  if (typeof source.path === 'string') bundle = await readBundle(source.path);
  else if (source.bundle !== undefined) bundle = source.bundle;
  else throw new ModelBundleError('INVALID_ARGUMENT', 'createServer() needs { bundle } or { path }; neither was given.');
  const decoded = await toBundle(bundle);
  const value = await registry.unbundle(decoded, source.trustedKeys ? { trustedKeys: source.trustedKeys } : {});
  const predictor = registry.predictor(decoded.header.kind, value);
  const ptype = readPtype(predictor.ptype ?? decoded.header.ptype);
  return { header: decoded.header, predictor, ptype, digest: toHex(decoded.headerDigest), value };
}
