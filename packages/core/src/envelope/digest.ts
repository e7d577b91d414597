import { ModelBundleError } from '../errors.js';

/** SHA-256 of `bytes` through WebCrypto, available in Node >= 20 and every browser. */
export async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) {
    throw new ModelBundleError(
      'INTERNAL',
      'WebCrypto (crypto.subtle) is not available here, so digests cannot be computed. Use Node >= 20, or a browser page served over https or from localhost.',
    );
  }
  return new Uint8Array(await subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
}
