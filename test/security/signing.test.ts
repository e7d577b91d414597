import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  decodeBundle,
  encodeBundle,
  exportPrivateKey,
  exportPublicKey,
  generateKeyPair,
  importPublicKey,
  inspect,
  keyFingerprint,
  signBundle,
  unsignBundle,
  verifySignature,
} from '@modelbundle/core';
import { SIGNATURE_DOMAIN, signatureMessage } from '@modelbundle/core/format';
import { readBundle, readPublicKey, signFile, verifyFile, writeBundle, writeKeyPair } from '@modelbundle/core/node';
import { expectCode } from '@modelbundle/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linearBundle, linearRegistry } from './support/fixtures.js';
import { forgeBundle, sectionTable, takeApart } from './support/forge.js';
import type { LinearModel } from './support/linear-model.js';

describe('bundle signatures (Ed25519 over the header digest)', () => {
  let alice: Awaited<ReturnType<typeof generateKeyPair>>;
  let mallory: Awaited<ReturnType<typeof generateKeyPair>>;
  let dir: string;

  beforeAll(async () => {
    alice = await generateKeyPair();
    mallory = await generateKeyPair();
    dir = await mkdtemp(join(tmpdir(), 'mb-signing-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('round-trips: a signed bundle decodes, verifies and unbundles with the trusted key', async () => {
    const { bundle } = await linearBundle();
    const signed = await signBundle(bundle, alice.privateKey);
    const bytes = encodeBundle(signed);
    expect(bytes[12]).toBe(1); // flags bit 0
    expect((await inspect(bytes)).signed).toBe(true);
    const decoded = await decodeBundle(bytes);
    const check = await verifySignature(decoded, [mallory.publicKey, alice.publicKey]);
    expect(check).toEqual({ keyIndex: 1, fingerprint: await keyFingerprint(alice.publicKey) });
    const model = await linearRegistry().unbundle<LinearModel>(bytes, { trustedKeys: [alice.publicKey] });
    expect(model.predict({ x0: 1, x1: 1, x2: 1 })).toBeCloseTo(1 / 3 + 6 / 7, 5);
  });

  it('signs exactly the documented message, which node:crypto verifies independently', async () => {
    const signed = encodeBundle(await signBundle((await linearBundle()).bundle, alice.privateKey));
    const headerLength = Number(new DataView(signed.buffer).getBigUint64(16, true));
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', signed.slice(128, 128 + headerLength)));
    const message = Buffer.concat([Buffer.from('modelbundle:signature:v1', 'utf8'), Buffer.from([0]), digest]);
    expect(SIGNATURE_DOMAIN).toBe('modelbundle:signature:v1');
    expect(Buffer.from(signatureMessage(digest))).toEqual(message);
    const publicKey = createPublicKey(await exportPublicKey(alice.publicKey, 'pem'));
    expect(nodeVerify(null, message, publicKey, signed.subarray(64, 128))).toBe(true);
    expect(nodeVerify(null, digest, publicKey, signed.subarray(64, 128))).toBe(false); // the domain string is part of it
  });

  it('imports and exports keys as PEM, JWK and raw base64', async () => {
    const { bundle } = await linearBundle();
    for (const format of ['pem', 'raw'] as const) {
      const signed = await signBundle(bundle, await exportPrivateKey(alice.privateKey, format));
      const pub = await exportPublicKey(alice.publicKey, format);
      expect((await verifySignature(signed, pub)).keyIndex).toBe(0);
    }
    const jwk = await exportPrivateKey(alice.privateKey, 'jwk');
    const signed = await signBundle(bundle, jwk);
    expect((await verifySignature(signed, JSON.stringify(await exportPublicKey(alice.publicKey, 'jwk')))).keyIndex).toBe(0);
    expect((await verifySignature(signed, jwk)).keyIndex).toBe(0); // a private JWK is reduced to its public half
    expect(await exportPublicKey(alice.publicKey, 'pem')).toMatch(/^-----BEGIN PUBLIC KEY-----\n[A-Za-z0-9+/=\n]+-----END PUBLIC KEY-----\n$/);
    const raw = Buffer.from(await exportPublicKey(alice.publicKey, 'raw'), 'base64');
    expect(raw).toHaveLength(32);
    expect((await verifySignature(signed, new Uint8Array(raw))).keyIndex).toBe(0);
  });

  it('rejects keys that are not Ed25519 keys with a clear message', async () => {
    for (const bad of ['not a key', 'AAAA', '{"kty":"RSA"}', '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----']) {
      const error = await expectCode(importPublicKey(bad), 'INVALID_ARGUMENT');
      expect(error.message).toMatch(/Could not read the Ed25519 public key/);
    }
    await expectCode(
      signBundle((await linearBundle()).bundle, alice.publicKey),
      'INVALID_ARGUMENT',
      /Expected an Ed25519 private key, got a Ed25519 public key/,
    );
  });

  it('refuses a bundle signed by a key that is not trusted', async () => {
    const bytes = encodeBundle(await signBundle((await linearBundle()).bundle, mallory.privateKey));
    const error = await expectCode(linearRegistry().unbundle(bytes, { trustedKeys: [alice.publicKey] }), 'SIGNATURE_INVALID');
    expect(error.details).toMatchObject({ region: 'signature', reason: 'untrusted', trusted: [await keyFingerprint(alice.publicKey)] });
    expect(error.message).toMatch(/does not verify with any of the 1 trusted key\(s\).*key you do not trust, or the bundle was altered/);
  });

  it('refuses an unsigned bundle when keys are given, and accepts it when none are', async () => {
    const { bytes } = await linearBundle();
    const error = await expectCode(linearRegistry().unbundle(bytes, { trustedKeys: [alice.publicKey] }), 'SIGNATURE_INVALID');
    expect(error.details.reason).toBe('unsigned');
    expect(error.message).toMatch(/not signed/);
    await expect(linearRegistry().unbundle(bytes)).resolves.toBeDefined();
    await expectCode(linearRegistry().unbundle(bytes, { trustedKeys: [] }), 'INVALID_ARGUMENT');
  });

  it('detects a header altered after signing, even when the attacker fixes the header digest', async () => {
    const signed = encodeBundle(await signBundle((await linearBundle()).bundle, alice.privateKey));
    const { header, sections } = await takeApart(signed);
    header.metadata = { owner: 'mallory' };
    const forged = forgeBundle(header, sections, { signature: signed.slice(64, 128) });
    const decoded = await decodeBundle(forged); // a consistent bundle, only the signature gives it away
    expect(decoded.header.metadata).toEqual({ owner: 'mallory' });
    const error = await expectCode(verifySignature(decoded, alice.publicKey), 'SIGNATURE_INVALID');
    expect(error.details.reason).toBe('untrusted');
    const raw = signed.slice();
    raw[130] = (raw[130] as number) ^ 1; // without fixing the digest, decoding already fails
    expect((await expectCode(decodeBundle(raw), 'CORRUPT')).details.region).toBe('header');
  });

  it('detects a section altered after signing, even when the attacker fixes both digests', async () => {
    const signed = encodeBundle(await signBundle((await linearBundle()).bundle, alice.privateKey));
    const { header, sections } = await takeApart(signed);
    const weights = sections[0] as Uint8Array;
    weights[0] = (weights[0] as number) ^ 0x80;
    header.sections = sectionTable([['weights', weights]]);
    const forged = forgeBundle(header, [weights], { signature: signed.slice(64, 128) });
    const error = await expectCode(linearRegistry().unbundle(forged, { trustedKeys: [alice.publicKey] }), 'SIGNATURE_INVALID');
    expect(error.details.reason).toBe('untrusted');
    const raw = signed.slice();
    raw[raw.length - 1] = (raw[raw.length - 1] as number) ^ 1;
    const corrupt = await expectCode(linearRegistry().unbundle(raw, { trustedKeys: [alice.publicKey] }), 'CORRUPT');
    expect(corrupt.details.region).toBe('section:weights');
  });

  it('checks the sections of an in-memory bundle it was handed, since the signature covers them only through their digests', async () => {
    const signed = await signBundle((await linearBundle()).bundle, alice.privateKey);
    const weights = (signed.sections.get('weights') as Uint8Array).slice();
    weights[1] = (weights[1] as number) ^ 4;
    const altered = { ...signed, sections: new Map([['weights', weights]]) };
    const error = await expectCode(linearRegistry().unbundle(altered, { trustedKeys: [alice.publicKey] }), 'CORRUPT');
    expect(error.details.region).toBe('section:weights');
  });

  it('treats the signed flag with an empty signature slot as damage, and refuses signatures no signer writes', async () => {
    const { bytes } = await linearBundle();
    const flagged = bytes.slice();
    flagged[12] = 1;
    const error = await expectCode(decodeBundle(flagged), 'CORRUPT');
    expect(error.details.region).toBe('prefix');
    const { bundle } = await linearBundle();
    const zero = await expectCode(verifySignature({ ...bundle, signature: new Uint8Array(64) }, alice.publicKey), 'SIGNATURE_INVALID');
    expect(zero.details.reason).toBe('malformed');
    const highS = (await signBundle(bundle, alice.privateKey)).signature as Uint8Array;
    const noncanonical = highS.slice();
    noncanonical.fill(0xff, 32); // S >= the group order
    const high = await expectCode(verifySignature({ ...bundle, signature: noncanonical }, alice.publicKey), 'SIGNATURE_INVALID');
    expect(high.details.reason).toBe('malformed');
    const flipped = highS.slice();
    flipped[5] = (flipped[5] as number) ^ 1;
    expect((await expectCode(verifySignature({ ...bundle, signature: flipped }, alice.publicKey), 'SIGNATURE_INVALID')).details.reason).toBe('untrusted');
  });

  it('re-signs without touching header or sections, in memory and in a file', async () => {
    const { bundle, bytes } = await linearBundle();
    const byAlice = encodeBundle(await signBundle(bundle, alice.privateKey));
    const byMallory = encodeBundle(await signBundle(await decodeBundle(byAlice), mallory.privateKey));
    expect(byMallory.subarray(128)).toEqual(byAlice.subarray(128));
    expect(byAlice.subarray(128)).toEqual(bytes.subarray(128));
    expect(encodeBundle(unsignBundle(await decodeBundle(byMallory)))).toEqual(bytes);

    const keys = await writeKeyPair(join(dir, 'keys'));
    const other = await writeKeyPair(join(dir, 'keys'), { name: 'other' });
    const path = join(dir, 'model.mbnd');
    await writeBundle(path, bundle);
    const before = await stat(path);
    expect(await signFile(path, keys.privateKeyPath)).toEqual({ fingerprint: keys.fingerprint });
    const after = await readFile(path);
    expect(after.subarray(128)).toEqual(Buffer.from(bytes.subarray(128)));
    expect((await stat(path)).ino).toBe(before.ino); // signed in place
    expect(await verifyFile(path, keys.publicKeyPath)).toEqual({ keyIndex: 0, fingerprint: keys.fingerprint });
    await signFile(path, other.privateKeyPath);
    expect((await verifyFile(path, [keys.publicKeyPath, other.publicKeyPath])).keyIndex).toBe(1);
    expect((await expectCode(verifyFile(path, keys.publicKeyPath), 'SIGNATURE_INVALID')).details.reason).toBe('untrusted');
    const copy = join(dir, 'copy.mbnd');
    await signFile(path, keys.privateKeyPath, { output: copy });
    expect((await verifyFile(copy, keys.publicKeyPath)).fingerprint).toBe(keys.fingerprint);
    expect((await readBundle(copy)).header).toEqual((await readBundle(path)).header);
    await signFile(path, keys.privateKeyPath); // in place, by the same key: Ed25519 signatures are deterministic
    expect((await readFile(copy)).equals(await readFile(path))).toBe(true);
  });

  it('keeps generated keys safe: private key mode 0600, never overwritten', async () => {
    const keys = await writeKeyPair(join(dir, 'safe'));
    expect((await stat(keys.privateKeyPath)).mode & 0o777).toBe(0o600);
    expect(await readFile(keys.privateKeyPath, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(await keyFingerprint(await readPublicKey(keys.publicKeyPath))).toBe(keys.fingerprint);
    const error = await expectCode(writeKeyPair(join(dir, 'safe')), 'IO_ERROR');
    expect(error.message).toMatch(/already exists/);
  });

  it('refuses to sign a damaged file', async () => {
    const keys = await writeKeyPair(join(dir, 'damaged'));
    const { bytes } = await linearBundle();
    const path = join(dir, 'damaged.mbnd');
    const damaged = bytes.slice();
    damaged[damaged.length - 2] = (damaged[damaged.length - 2] as number) ^ 1;
    await import('node:fs/promises').then((fs) => fs.writeFile(path, damaged));
    expect((await expectCode(signFile(path, keys.privateKeyPath), 'CORRUPT')).details.region).toBe('section:weights');
    // Into a new file, the copy is checked before it is renamed: no output, and no temp file beside it.
    await mkdir(join(dir, 'copies'));
    await expectCode(signFile(path, keys.privateKeyPath, { output: join(dir, 'copies', 'damaged-copy.mbnd') }), 'CORRUPT');
    expect(await readdir(join(dir, 'copies'))).toEqual([]);
    expect(await readFile(path)).toEqual(Buffer.from(damaged));
    expect((await expectCode(verifyFile(path, keys.publicKeyPath), 'CORRUPT')).details.region).toBe('section:weights');
  });
});
