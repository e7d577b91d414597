import { ModelBundleError } from '../errors.js';

/**
 * Domain separation for bundle signatures: the signed message is these 25
 * UTF-8 bytes (`modelbundle/v1 signature` and a NUL) followed by the 32-byte
 * header digest. The prefix keeps an Ed25519 signature made for this format
 * from being valid as a signature over anything else, and the other way round.
 */
export const SIGNATURE_DOMAIN = 'modelbundle/v1 signature\0';

const DOMAIN_BYTES = new TextEncoder().encode(SIGNATURE_DOMAIN);

/** Length of an Ed25519 signature, and of the prefix's signature slot. */
export const SIGNATURE_BYTES = 64;

/** The exact bytes an Ed25519 bundle signature signs: the domain string, then the header's SHA-256. */
export function signatureMessage(headerDigest: Uint8Array): Uint8Array {
  if (headerDigest.byteLength !== 32) {
    throw new ModelBundleError('INVALID_ARGUMENT', `A header digest is 32 bytes (SHA-256); got ${headerDigest.byteLength}. Pass bundle.headerDigest.`);
  }
  const message = new Uint8Array(DOMAIN_BYTES.length + 32);
  message.set(DOMAIN_BYTES, 0);
  message.set(headerDigest, DOMAIN_BYTES.length);
  return message;
}
