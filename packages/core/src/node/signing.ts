import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { bundlePrefix } from '../envelope/bundle.js';
import { bytesEqual } from '../envelope/bytes.js';
import { PREFIX_BYTES } from '../envelope/constants.js';
import { decodePrefix } from '../envelope/prefix.js';
import { ModelBundleError } from '../errors.js';
import { checkTrust } from '../pipeline/trust.js';
import { exportPrivateKey, exportPublicKey, generateKeyPair, importPrivateKey, importPublicKey, keyFingerprint } from '../signing/keys.js';
import { type SignatureCheck, signBundle } from '../signing/sign.js';
import { intactHead } from './check-file.js';
import { ioError, readExactly } from './file-io.js';
import { copyFileAtomic } from './write.js';

/** Where {@link writeKeyPair} put the keys. */
export interface KeyPairFiles {
  /** PKCS#8 PEM, readable by the owner only. Keep it secret. */
  privateKeyPath: string;
  /** SPKI PEM: give this to everyone who verifies your bundles. */
  publicKeyPath: string;
  /** {@link keyFingerprint} of the public key. */
  fingerprint: string;
}

/**
 * Generates an Ed25519 key pair and writes `<name>.key` (private, mode 0600)
 * and `<name>.pub` (public) into `dir`, creating it. Never overwrites an
 * existing key unless `overwrite` is set.
 */
export async function writeKeyPair(dir: string, options: { name?: string; overwrite?: boolean } = {}): Promise<KeyPairFiles> {
  const name = options.name ?? 'modelbundle';
  const pair = await generateKeyPair();
  const privateKeyPath = join(dir, `${name}.key`);
  const publicKeyPath = join(dir, `${name}.pub`);
  await mkdir(dir, { recursive: true }).catch((e) => Promise.reject(ioError('create the directory', dir, e)));
  const replace = options.overwrite === true;
  await writeText(privateKeyPath, await exportPrivateKey(pair.privateKey, 'pem'), 0o600, replace);
  await writeText(publicKeyPath, await exportPublicKey(pair.publicKey, 'pem'), 0o644, replace);
  return { privateKeyPath, publicKeyPath, fingerprint: await keyFingerprint(pair.publicKey) };
}

/** Reads a private key file: PKCS#8 PEM, JWK JSON, base64 of the 32-byte seed, or the 32 raw bytes. */
export async function readPrivateKey(path: string): Promise<CryptoKey> {
  return importPrivateKey(await readKeyFile(path));
}

/** Reads a public key file: SPKI PEM, JWK JSON, base64 of the 32-byte key, or the 32 raw bytes. */
export async function readPublicKey(path: string): Promise<CryptoKey> {
  return importPublicKey(await readKeyFile(path));
}

/** Options for {@link signFile}. */
export interface SignFileOptions {
  /** Write the signed bundle here (atomically) and leave `path` untouched. Default: sign `path` in place. */
  output?: string;
  /** Called as the file is copied (`step` `copy`, with `output` only) and then checked (`check`), with the bytes done and the file size. */
  onProgress?: (done: number, total: number, step: 'copy' | 'check') => void;
}

/**
 * Signs a bundle file with the private key at `privateKeyPath`. The whole
 * file is verified first (a signature must never vouch for damaged bytes),
 * one section at a time, so memory stays small whatever the file's size.
 * In place, only the 128-byte prefix is rewritten (one write inside the
 * first disk sector, then fsync): header and sections stay byte-identical.
 * With `output`, the file is copied there atomically and the copy is
 * verified, then signed, before it is renamed into place: what is
 * published is what was checked. Re-signing with another key works the
 * same way. Returns the public key's fingerprint.
 */
export async function signFile(path: string, privateKeyPath: string, options: SignFileOptions = {}): Promise<{ fingerprint: string }> {
  const key = await readPrivateKey(privateKeyPath);
  const fingerprint = await keyFingerprint(await publicKeyOf(key));
  const { onProgress } = options;
  const checking = onProgress ? { onProgress: (done: number, total: number) => onProgress(done, total, 'check') } : {};
  if (options.output !== undefined) {
    await copyFileAtomic(
      path,
      options.output,
      async (copy, handle) => {
        const prefix = bundlePrefix(await signBundle(await intactHead(copy, checking), key));
        await handle.write(prefix, 0, prefix.byteLength, 0);
      },
      onProgress ? { onProgress: (done, total) => onProgress(done, total, 'copy') } : {},
    );
    return { fingerprint };
  }
  // In place, the file is checked one section at a time and never held whole: only its prefix changes.
  const signed = await signBundle(await intactHead(path, checking), key);
  const handle = await open(path, 'r+').catch((e) => Promise.reject(ioError('open', path, e)));
  try {
    const size = (await handle.stat()).size;
    const current = decodePrefix(await readExactly(handle, 0, Math.min(PREFIX_BYTES, size)), size);
    if (!bytesEqual(current.headerDigest, signed.headerDigest)) {
      throw new ModelBundleError('IO_ERROR', `"${path}" changed while it was being signed. Sign it again when no other process writes it.`, {
        details: { path },
      });
    }
    const prefix = bundlePrefix(signed);
    await handle.write(prefix, 0, prefix.byteLength, 0);
    await handle.sync();
  } catch (e) {
    throw ioError('sign', path, e);
  } finally {
    await handle.close();
  }
  return { fingerprint };
}

/**
 * Fully verifies a bundle file (prefix, header, every section, one at a
 * time, so the file is never held whole) and checks that one of the public
 * keys at `publicKeyPaths` signed it. Throws SIGNATURE_INVALID (see
 * `verifySignature`), CORRUPT naming the first damaged section, or the decoding error.
 */
export async function verifyFile(path: string, publicKeyPaths: string | readonly string[]): Promise<SignatureCheck> {
  const paths = typeof publicKeyPaths === 'string' ? [publicKeyPaths] : publicKeyPaths;
  const keys = await Promise.all(paths.map((p) => readPublicKey(p)));
  return (await checkTrust(await intactHead(path), { trustedKeys: keys })) as SignatureCheck;
}

async function readKeyFile(path: string): Promise<string | Uint8Array> {
  const bytes = await readFile(path).catch((e) => Promise.reject(ioError('read the key file', path, e)));
  const text = new TextDecoder().decode(bytes);
  return bytes.length === 32 && !/^[\x20-\x7e\s]*$/.test(text) ? new Uint8Array(bytes) : text;
}

async function publicKeyOf(privateKey: CryptoKey): Promise<JsonWebKey> {
  const { d: _secret, ...jwk } = await exportPrivateKey(privateKey, 'jwk');
  return jwk;
}

/**
 * Writes a key file. Without `replace`, creates `path` exclusively. With it, writes a new file
 * beside it (exclusive create, so with `mode` from the start, never an old file's mode, never
 * through a symlink), fsyncs it and renames it over `path`: a replaced key that was
 * world-readable leaves no trace of its old mode, and a crash leaves the old key or the new one.
 */
async function writeText(path: string, text: string, mode: number, replace: boolean): Promise<void> {
  const target = replace ? `${path}.${randomBytes(6).toString('hex')}.tmp` : path;
  const handle = await open(target, 'wx', mode).catch((e) => {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST' && !replace) {
      return Promise.reject(
        new ModelBundleError('IO_ERROR', `"${path}" already exists; keys are never overwritten by default. Choose another directory or name, or remove it.`, {
          details: { path },
        }),
      );
    }
    return Promise.reject(ioError('write', target, e));
  });
  try {
    await handle.chmod(mode); // the mode of open() is narrowed by the umask; the key's mode must be exact
    await handle.writeFile(text);
    await handle.sync();
  } catch (e) {
    await handle.close();
    if (replace) await unlink(target).catch(() => {});
    throw ioError('write', target, e);
  }
  await handle.close();
  if (!replace) return;
  await rename(target, path).catch(async (e) => {
    await unlink(target).catch(() => {});
    return Promise.reject(ioError('replace', path, e));
  });
  const dir = await open(dirname(path), 'r').catch(() => undefined);
  await dir?.sync().catch(() => {});
  await dir?.close();
}
