import { type Bundle, type SignatureCheck, verifySignature } from '@modelbundle/core';
import { readPublicKey } from '@modelbundle/core/node';

/** Collects a repeatable option (`--public-key a --public-key b`) into a list. */
export function collect(value: string, previous: readonly string[] = []): string[] {
  return [...previous, value];
}

/** Trusted public keys, read from `--public-key` files before any bundle is read; `undefined` when none was given. */
export async function readTrustedKeys(paths: readonly string[] | undefined): Promise<CryptoKey[] | undefined> {
  if (!paths || paths.length === 0) return undefined;
  return Promise.all(paths.map((path) => readPublicKey(path)));
}

/**
 * Refuses a bundle unless one of the trusted keys signed it (the check
 * `unbundle`'s `trustedKeys` makes), before any plugin sees it. Nothing to
 * check without keys. Throws SIGNATURE_INVALID (exit 19) with
 * `details.reason` `unsigned`, `malformed` or `untrusted`.
 */
export async function requireTrustedSignature(bundle: Bundle, keys: readonly CryptoKey[] | undefined): Promise<SignatureCheck | undefined> {
  return keys ? verifySignature(bundle, keys) : undefined;
}
