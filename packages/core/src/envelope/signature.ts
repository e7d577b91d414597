/**
 * The exact message an Ed25519 bundle signature signs (docs/FORMAT.md,
 * "Signature"): a fixed domain-separation string, one zero byte, then the
 * 32-byte SHA-256 of the header. The header lists every section's digest, so
 * this signs every byte of the bundle.
 */

import { ModelBundleError } from '../errors.js';

/** Domain-separation string at the start of the signed message (UTF-8, no terminator of its own). */
export const SIGNATURE_DOMAIN = 'modelbundle:signature:v1';

/** Length of an Ed25519 signature, the size of the prefix's signature slot. */
export const SIGNATURE_BYTES = 64;

/** The bytes an Ed25519 signer signs and a verifier checks: `SIGNATURE_DOMAIN`, 0x00, header digest (57 bytes). */
export function signatureMessage(headerDigest: Uint8Array): Uint8Array {
  const domain = new TextEncoder().encode(SIGNATURE_DOMAIN);
  if (headerDigest.byteLength !== 32) {
    throw new ModelBundleError(
      'INVALID_ARGUMENT',
      `signatureMessage() needs the 32-byte SHA-256 header digest, got ${headerDigest.byteLength} bytes. Pass bundle.headerDigest.`,
    );
  }
  const message = new Uint8Array(domain.length + 1 + 32);
  message.set(domain, 0);
  message.set(headerDigest, domain.length + 1);
  return message;
}
