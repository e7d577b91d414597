import { type Bundle, type Digest, decodeBundle } from '../envelope/bundle.js';
import { asUint8Array } from '../envelope/bytes.js';
import { ModelBundleError } from '../errors.js';
import { describeValue } from '../internal/values.js';
import type { BundleSource } from '../registry/serializer.js';

/** Options for {@link toBundle}. */
export interface ToBundleOptions {
  /** Check every section digest (default true). A Bundle passes through as it is. */
  verify?: boolean;
  /** The SHA-256 implementation for those checks. */
  digest?: Digest;
}

/**
 * Step 1 of `unbundle`: decodes anything `unbundle` accepts (a Bundle passes
 * through; bytes, a Blob or a fetch Response are decoded and, unless
 * `verify: false`, every section digest is checked) into a {@link Bundle}.
 */
export async function toBundle(source: BundleSource, options: ToBundleOptions = {}): Promise<Bundle> {
  if (isBundle(source)) return source;
  const decode = { verify: options.verify !== false, ...(options.digest ? { digest: options.digest } : {}) };
  if (typeof Blob !== 'undefined' && source instanceof Blob) return decodeBundle(await source.arrayBuffer(), decode);
  if (typeof Response !== 'undefined' && source instanceof Response) {
    if (!source.ok) {
      throw new ModelBundleError(
        'IO_ERROR',
        `Fetching the bundle failed with HTTP ${source.status} ${source.statusText} (${source.url}). Check the URL and the server.`,
      );
    }
    return decodeBundle(await source.arrayBuffer(), decode);
  }
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) return decodeBundle(asUint8Array(source), decode);
  throw new ModelBundleError(
    'INVALID_ARGUMENT',
    `unbundle() got ${describeValue(source)}; expected a Bundle, bytes (Uint8Array or ArrayBuffer), a Blob or a fetch Response.`,
  );
}

/** True for a decoded {@link Bundle} (as opposed to bytes, a Blob or a Response). */
export function isBundle(value: unknown): value is Bundle {
  return typeof value === 'object' && value !== null && 'header' in value && 'sections' in value && (value as Bundle).sections instanceof Map;
}
