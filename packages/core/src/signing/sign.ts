import type { Bundle, BundleHead } from '../envelope/bundle.js';
import { verifySections } from '../envelope/bundle.js';
import { bytesEqual, isAllZero, toHex } from '../envelope/bytes.js';
import { sha256 } from '../envelope/digest.js';
import { SIGNATURE_BYTES, signatureMessage } from '../envelope/signature.js';
import { ModelBundleError } from '../errors.js';
import { importPrivateKey, importPublicKey, type KeyInput, keyFingerprint, subtleCrypto } from './keys.js';

// The order of the Ed25519 base point: a signature's S half is always below it (RFC 8032, 5.1.7).
const GROUP_ORDER = 2n ** 252n + 27742317777372353535851937790883648493n;

/** Which trusted key verified a signature. */
export interface SignatureCheck {
  /** Index of the key in the list given to {@link verifySignature}. */
  keyIndex: number;
  /** {@link keyFingerprint} of that key. */
  fingerprint: string;
}

/** Options for {@link verifySignature}. */
export interface VerifySignatureOptions {
  /**
   * Also check every section against its digest. Default: only when the
   * bundle does not record that its sections were verified (`verified` is
   * not true, e.g. decoded with `verify: false`), because the signature
   * covers the sections only through their digests.
   */
  sections?: boolean;
}

/**
 * Signs a bundle: an Ed25519 signature over `signatureMessage(headerDigest)`
 * (the domain string `modelbundle:signature:v1`, a zero byte, the 32-byte
 * header digest). The header digest covers every
 * section digest, so this signs the whole bundle. Returns a new bundle with
 * `signature` set; header and sections are shared, not copied, so re-signing
 * never rewrites them. Write it with `encodeBundle` or `writeBundle`. A
 * head alone (a file's, its sections checked by whoever read them) is
 * signed the same way, for rewriting only the file's prefix.
 */
export async function signBundle<B extends BundleHead>(bundle: B, privateKey: KeyInput): Promise<B & { signature: Uint8Array }> {
  const key = await importPrivateKey(privateKey);
  await checkHeaderDigest(bundle);
  const signature = new Uint8Array(await subtleCrypto().sign('Ed25519', key, signatureMessage(bundle.headerDigest) as Uint8Array<ArrayBuffer>));
  return { ...bundle, signature };
}

/** A copy of the bundle without its signature. */
export function unsignBundle(bundle: Bundle): Bundle {
  const { signature: _removed, ...rest } = bundle;
  return rest;
}

/**
 * Checks that a bundle is signed by one of `publicKeys`. Resolves with the
 * key that verified it; otherwise throws SIGNATURE_INVALID, with
 * `details.reason` one of `unsigned` (no signature), `malformed` (the
 * signature slot holds something no Ed25519 signer writes) or `untrusted`
 * (a well-formed signature that none of the keys verifies: made with a key
 * you do not trust, or the bundle was altered after signing).
 */
export async function verifySignature(
  bundle: Bundle,
  publicKeys: KeyInput | readonly KeyInput[],
  options: VerifySignatureOptions = {},
): Promise<SignatureCheck> {
  const keys = Array.isArray(publicKeys) ? (publicKeys as readonly KeyInput[]) : [publicKeys as KeyInput];
  if (keys.length === 0) {
    throw new ModelBundleError(
      'INVALID_ARGUMENT',
      'No trusted public keys were given, so no signature can be accepted. Pass at least one Ed25519 public key (PEM, JWK or raw base64).',
    );
  }
  const imported = await Promise.all(keys.map((k) => importPublicKey(k)));
  const signature = bundle.signature;
  if (!signature) {
    throw invalid(
      'unsigned',
      'The bundle is not signed, but trusted keys were given, so it is refused. Ask its publisher for a signed copy (`modelbundle sign`).',
    );
  }
  if (signature.byteLength !== SIGNATURE_BYTES || isAllZero(signature) || !hasCanonicalS(signature)) {
    throw invalid(
      'malformed',
      `The bundle's signature field is not an Ed25519 signature (${signature.byteLength} bytes${isAllZero(signature) ? ', all zero' : ''}; no signer writes this). The prefix was damaged or forged; get a fresh copy from the publisher.`,
    );
  }
  await checkHeaderDigest(bundle);
  if (options.sections ?? bundle.verified !== true) await verifySections(bundle);
  const message = signatureMessage(bundle.headerDigest) as Uint8Array<ArrayBuffer>;
  for (const [keyIndex, key] of imported.entries()) {
    if (await subtleCrypto().verify('Ed25519', key, signature as Uint8Array<ArrayBuffer>, message)) {
      return { keyIndex, fingerprint: await keyFingerprint(key) };
    }
  }
  const names = await Promise.all(imported.map((k) => keyFingerprint(k)));
  throw invalid(
    'untrusted',
    `The bundle's signature does not verify with any of the ${imported.length} trusted key(s) (${names.join(', ')}): it was made with a key you do not trust, or the bundle was altered after signing. Check that you hold the publisher's public key; otherwise do not use this file.`,
    { trusted: names },
  );
}

function hasCanonicalS(signature: Uint8Array): boolean {
  let s = 0n;
  for (let i = SIGNATURE_BYTES - 1; i >= 32; i--) s = (s << 8n) | BigInt(signature[i] as number);
  return s < GROUP_ORDER;
}

/** Signing a digest that does not match the header would vouch for bytes nobody wrote. */
async function checkHeaderDigest(bundle: BundleHead): Promise<void> {
  const digest = await sha256(bundle.headerBytes);
  if (!bytesEqual(digest, bundle.headerDigest)) {
    throw new ModelBundleError(
      'CORRUPT',
      `The bundle's header digest (${toHex(bundle.headerDigest)}) does not match its header bytes (${toHex(digest)}). Decode it again from its file.`,
      { details: { region: 'header' } },
    );
  }
}

function invalid(reason: 'unsigned' | 'malformed' | 'untrusted', message: string, details: Record<string, unknown> = {}): ModelBundleError {
  return new ModelBundleError('SIGNATURE_INVALID', message, { details: { region: 'signature', reason, ...details } });
}
