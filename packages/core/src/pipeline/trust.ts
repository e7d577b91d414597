import type { Bundle, BundleHead } from '../envelope/bundle.js';
import { ModelBundleError } from '../errors.js';
import type { KeyInput } from '../signing/keys.js';
import { type SignatureCheck, verifySignature } from '../signing/sign.js';

/** The trust options every loader takes (unbundle, the tfjs loaders, a fitted workflow's restore, the server, the CLI). */
export interface TrustOptions {
  /**
   * Ed25519 public keys you trust. When given, a bundle that is unsigned, or
   * not signed by one of them, is refused with SIGNATURE_INVALID before any
   * serializer runs or any plugin is loaded; its sections are always checked
   * against their digests, since the signature covers them only through those.
   */
  trustedKeys?: readonly KeyInput[];
  /** Skip section digest checks (only for bytes already verified). Refused together with `trustedKeys`. */
  skipVerify?: boolean;
}

/**
 * Refuses option sets that would trust unchecked bytes: a signature vouches
 * for the sections only through their digests, so keys without digest
 * checks would accept altered weights.
 */
export function assertTrustOptions(options: TrustOptions): void {
  if (options.trustedKeys && options.skipVerify === true) {
    throw new ModelBundleError(
      'INVALID_ARGUMENT',
      'trustedKeys cannot be combined with skipVerify: a signature covers the sections only through their digests, so they must be checked. Drop skipVerify.',
    );
  }
}

/**
 * Step 2 of `unbundle`, the one trust path: with `trustedKeys`, the bundle
 * must be signed by one of them, and every section is checked against its
 * digest unless the bundle records that it already was. Given a head alone
 * (a file about to be read section by section), only the signature over
 * the header digest is checked: the reader must check each section against
 * its digest as it reads it (`openBundleFile` does). Resolves with the key
 * that verified it, or undefined when no keys were given.
 */
export async function checkTrust(bundle: Bundle | BundleHead, options: TrustOptions): Promise<SignatureCheck | undefined> {
  assertTrustOptions(options);
  if (!options.trustedKeys) return undefined;
  const checked = 'sections' in bundle ? bundle : { ...bundle, sections: new Map<string, Uint8Array>(), verified: true };
  return verifySignature(checked, options.trustedKeys);
}
