import { toHex } from '../envelope/bytes.js';
import { sha256 } from '../envelope/digest.js';
import { ModelBundleError } from '../errors.js';
import { fromBase64, toBase64 } from '../internal/base64.js';

/**
 * A key as the signing functions accept it: a WebCrypto `CryptoKey`, a JWK
 * object or its JSON text, PEM text (SPKI `PUBLIC KEY` or PKCS#8 `PRIVATE
 * KEY`), or the raw 32 bytes (public key, or private seed) as a Uint8Array
 * or base64 text.
 */
export type KeyInput = CryptoKey | JsonWebKey | Uint8Array | string;

/** Ways to export a key: PEM text, a JWK object, or the raw 32 bytes in base64. */
export type KeyFormat = 'pem' | 'jwk' | 'raw';

/** An Ed25519 key pair (both keys extractable, so they can be saved). */
export interface SigningKeyPair {
  publicKey: CryptoKey;
  privateKey: CryptoKey;
}

const ED25519 = { name: 'Ed25519' } as const;
// PKCS#8 wrapping of a 32-byte Ed25519 seed (RFC 8410): a fixed 16-byte DER prefix, then the seed.
const PKCS8_SEED_PREFIX = Uint8Array.of(0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20);

/** WebCrypto, or an error that says where to find it. */
export function subtleCrypto(): SubtleCrypto {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) {
    throw new ModelBundleError(
      'INTERNAL',
      'WebCrypto (crypto.subtle) is not available here, so signatures cannot be made or checked. Use Node >= 20, or a browser page served over https or from localhost.',
    );
  }
  return subtle;
}

/** Generates a new Ed25519 key pair for signing bundles. */
export async function generateKeyPair(): Promise<SigningKeyPair> {
  const pair = (await subtleCrypto().generateKey(ED25519, true, ['sign', 'verify'])) as CryptoKeyPair;
  return { publicKey: pair.publicKey, privateKey: pair.privateKey };
}

/** Imports a public key (see {@link KeyInput}) for {@link verifySignature}. A private JWK is reduced to its public part. */
export async function importPublicKey(input: KeyInput): Promise<CryptoKey> {
  if (isCryptoKey(input)) return checkCryptoKey(input, 'public');
  const parsed = parseKeyText(input, 'public');
  try {
    if (parsed.format === 'jwk') {
      const { d: _private, key_ops: _ops, ...jwk } = parsed.jwk;
      return await subtleCrypto().importKey('jwk', { ...jwk, ext: true }, ED25519, true, ['verify']);
    }
    if (parsed.format === 'pem' && parsed.label !== 'PUBLIC KEY') throw new Error(`expected a "PUBLIC KEY" PEM block, found "${parsed.label}"`);
    if (parsed.format === 'raw' && parsed.bytes.length !== 32) throw new Error(`a raw Ed25519 public key is 32 bytes, found ${parsed.bytes.length}`);
    return await subtleCrypto().importKey(parsed.format === 'pem' ? 'spki' : 'raw', parsed.bytes as Uint8Array<ArrayBuffer>, ED25519, true, ['verify']);
  } catch (cause) {
    throw badKey('public', cause);
  }
}

/** Imports a private key (see {@link KeyInput}) for {@link signBundle}. */
export async function importPrivateKey(input: KeyInput): Promise<CryptoKey> {
  if (isCryptoKey(input)) return checkCryptoKey(input, 'private');
  const parsed = parseKeyText(input, 'private');
  try {
    if (parsed.format === 'jwk') {
      if (typeof parsed.jwk.d !== 'string') throw new Error('the JWK has no private part "d"; it is a public key');
      const { key_ops: _ops, ...jwk } = parsed.jwk;
      return await subtleCrypto().importKey('jwk', { ...jwk, ext: true }, ED25519, true, ['sign']);
    }
    let pkcs8 = parsed.bytes;
    if (parsed.format === 'pem' && parsed.label !== 'PRIVATE KEY') throw new Error(`expected a "PRIVATE KEY" PEM block, found "${parsed.label}"`);
    if (parsed.format === 'raw') {
      if (parsed.bytes.length !== 32) throw new Error(`a raw Ed25519 private key (seed) is 32 bytes, found ${parsed.bytes.length}`);
      pkcs8 = new Uint8Array(48);
      pkcs8.set(PKCS8_SEED_PREFIX, 0);
      pkcs8.set(parsed.bytes, 16);
    }
    return await subtleCrypto().importKey('pkcs8', pkcs8 as Uint8Array<ArrayBuffer>, ED25519, true, ['sign']);
  } catch (cause) {
    throw badKey('private', cause);
  }
}

/** Exports a public key as SPKI PEM text, a JWK object, or the raw 32 bytes in base64. */
export async function exportPublicKey(key: CryptoKey, format: 'jwk'): Promise<JsonWebKey>;
export async function exportPublicKey(key: CryptoKey, format?: 'pem' | 'raw'): Promise<string>;
export async function exportPublicKey(key: CryptoKey, format: KeyFormat = 'pem'): Promise<string | JsonWebKey> {
  checkCryptoKey(key, 'public');
  if (format === 'jwk') return subtleCrypto().exportKey('jwk', key);
  const bytes = new Uint8Array(await subtleCrypto().exportKey(format === 'pem' ? 'spki' : 'raw', key));
  return format === 'pem' ? toPem(bytes, 'PUBLIC KEY') : toBase64(bytes);
}

/** Exports a private key as PKCS#8 PEM text, a JWK object, or the raw 32-byte seed in base64. Keep the result secret. */
export async function exportPrivateKey(key: CryptoKey, format: 'jwk'): Promise<JsonWebKey>;
export async function exportPrivateKey(key: CryptoKey, format?: 'pem' | 'raw'): Promise<string>;
export async function exportPrivateKey(key: CryptoKey, format: KeyFormat = 'pem'): Promise<string | JsonWebKey> {
  checkCryptoKey(key, 'private');
  if (format === 'jwk') return subtleCrypto().exportKey('jwk', key);
  const pkcs8 = new Uint8Array(await subtleCrypto().exportKey('pkcs8', key));
  return format === 'pem' ? toPem(pkcs8, 'PRIVATE KEY') : toBase64(pkcs8.subarray(pkcs8.length - 32));
}

/** A short, stable name for a public key: `sha256:` and the hex SHA-256 of its raw 32 bytes. */
export async function keyFingerprint(publicKey: KeyInput): Promise<string> {
  const key = await importPublicKey(publicKey);
  const raw = new Uint8Array(await subtleCrypto().exportKey('raw', key));
  return `sha256:${toHex(await sha256(raw))}`;
}

type ParsedKey = { format: 'jwk'; jwk: JsonWebKey } | { format: 'pem'; label: string; bytes: Uint8Array } | { format: 'raw'; bytes: Uint8Array };

function parseKeyText(input: Exclude<KeyInput, CryptoKey>, kind: 'public' | 'private'): ParsedKey {
  if (input instanceof Uint8Array) return { format: 'raw', bytes: input };
  if (typeof input === 'object' && input !== null) return { format: 'jwk', jwk: checkJwk(input, kind) };
  if (typeof input !== 'string') throw badKey(kind, new Error(`got a ${input === null ? 'null' : typeof input} value`));
  const text = input.trim();
  if (text.startsWith('{')) {
    let jwk: unknown;
    try {
      jwk = JSON.parse(text);
    } catch (cause) {
      throw badKey(kind, cause);
    }
    return { format: 'jwk', jwk: checkJwk(jwk, kind) };
  }
  const pem = /^-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----$/.exec(text);
  if (pem) {
    const bytes = fromBase64(pem[2] as string);
    if (!bytes) throw badKey(kind, new Error('the PEM body is not base64'));
    return { format: 'pem', label: pem[1] as string, bytes };
  }
  const bytes = fromBase64(text);
  if (!bytes) throw badKey(kind, new Error('the text is neither PEM, JWK JSON, nor base64'));
  return { format: 'raw', bytes };
}

function checkJwk(value: unknown, kind: 'public' | 'private'): JsonWebKey {
  const jwk = value as JsonWebKey;
  if (typeof jwk !== 'object' || jwk === null || jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') {
    throw badKey(kind, new Error('the JWK is not an Ed25519 key (expected kty "OKP", crv "Ed25519" and "x")'));
  }
  return jwk;
}

function isCryptoKey(value: unknown): value is CryptoKey {
  return typeof CryptoKey !== 'undefined' && value instanceof CryptoKey;
}

function checkCryptoKey(key: CryptoKey, kind: 'public' | 'private'): CryptoKey {
  if (key.algorithm.name !== 'Ed25519' || key.type !== kind) {
    throw new ModelBundleError(
      'INVALID_ARGUMENT',
      `Expected an Ed25519 ${kind} key, got a ${key.algorithm.name} ${key.type} key. Generate one with generateKeyPair() or \`modelbundle keygen\`.`,
    );
  }
  return key;
}

function toPem(bytes: Uint8Array, label: string): string {
  const body = toBase64(bytes).replace(/.{1,64}/g, '$&\n');
  return `-----BEGIN ${label}-----\n${body}-----END ${label}-----\n`;
}

function badKey(kind: 'public' | 'private', cause: unknown): ModelBundleError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new ModelBundleError(
    'INVALID_ARGUMENT',
    `Could not read the Ed25519 ${kind} key: ${reason}. Give ${kind === 'public' ? 'an SPKI "PUBLIC KEY" PEM' : 'a PKCS#8 "PRIVATE KEY" PEM'}, a JWK, or the raw 32 bytes in base64, as written by \`modelbundle keygen\` or export${kind === 'public' ? 'Public' : 'Private'}Key().`,
    { cause },
  );
}
