import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createBundle, ErrorCodes } from '@modelbundle/core';
import { PREFIX_BYTES } from '@modelbundle/core/format';
import { readBundle, writeBundle } from '@modelbundle/core/node';
import { beforeAll, describe, expect, it } from 'vitest';
import { linearBundle } from '../../serve/test/helpers.js';
import { CLI, projectDir, type RunningCli, runCli, startProcess } from './helpers.js';

const SIGNATURE_EXIT = ErrorCodes.SIGNATURE_INVALID.exit;
let cwd: string;
/** Fingerprints of the keys made in beforeAll, by name. */
const fingerprints: Record<string, string> = {};
const cli = (...args: string[]) => runCli(args, { cwd });
const json = (stdout: string) => JSON.parse(stdout);

beforeAll(async () => {
  cwd = await projectDir();
  await writeBundle(join(cwd, 'linear.mbnd'), await linearBundle());
  await writeFile(join(cwd, 'rows.json'), JSON.stringify([{ x1: 1, x2: 2, group: 'a' }]));
  for (const name of ['alice', 'mallory']) {
    const made = await cli('keygen', 'keys', '--name', name, '--json');
    expect(made.code).toBe(0);
    fingerprints[name] = json(made.stdout).fingerprint;
  }
  expect((await cli('sign', 'linear.mbnd', '--key', 'keys/alice.key', '-o', 'signed.mbnd')).code).toBe(0);
});

describe('keygen', () => {
  it('writes a private key only its owner can read and a public key, and prints the fingerprint', async () => {
    const result = await cli('keygen', 'fresh', '--json');
    expect(result.code).toBe(0);
    const report = json(result.stdout);
    expect(report).toEqual({
      privateKey: 'fresh/modelbundle.key',
      publicKey: 'fresh/modelbundle.pub',
      fingerprint: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
    });
    expect((await stat(join(cwd, report.privateKey))).mode & 0o777).toBe(0o600);
    expect((await stat(join(cwd, report.publicKey))).mode & 0o777).toBe(0o644);
    expect(await readFile(join(cwd, report.privateKey), 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(await readFile(join(cwd, report.publicKey), 'utf8')).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
  });

  it('takes a plain file name for --name (exit 2 otherwise)', async () => {
    const result = await cli('keygen', 'keys', '--name', '../escape');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('is not a file name');
    await expect(stat(join(cwd, 'escape.key'))).rejects.toThrow();
  });

  it('refuses to overwrite either key file without --force, and replaces both with it', async () => {
    const before = await readFile(join(cwd, 'keys/alice.key'), 'utf8');
    const refused = await cli('keygen', 'keys', '--name', 'alice');
    expect(refused.code).toBe(ErrorCodes.IO_ERROR.exit);
    expect(refused.stderr).toContain('already exists');
    expect(refused.stderr).toContain('--force');
    expect(await readFile(join(cwd, 'keys/alice.key'), 'utf8')).toBe(before);

    await writeFile(join(cwd, 'keys/lone.pub'), 'a public key someone relies on');
    expect((await cli('keygen', 'keys', '--name', 'lone')).code).toBe(ErrorCodes.IO_ERROR.exit);
    await expect(stat(join(cwd, 'keys/lone.key'))).rejects.toThrow(); // no private key left beside the old public one

    const forced = await cli('keygen', 'keys', '--name', 'lone', '--force');
    expect(forced.code).toBe(0);
    expect(await readFile(join(cwd, 'keys/lone.pub'), 'utf8')).toMatch(/^-----BEGIN PUBLIC KEY-----/);
  });
});

describe('sign and verify --public-key', () => {
  it('verifies with the signing key (exit 0) and names it in --json', async () => {
    const human = await cli('verify', 'signed.mbnd', '--public-key', 'keys/alice.pub');
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`signature: valid, signed by ${fingerprints.alice}\n`);
    expect(human.stdout).toContain('signed.mbnd: intact\n');
    // Several keys: any one of them may have signed it.
    const result = await cli('verify', 'signed.mbnd', '--public-key', 'keys/mallory.pub', '--public-key', 'keys/alice.pub', '--json');
    expect(result.code).toBe(0);
    const report = json(result.stdout);
    expect(report).toMatchObject({ intact: true, error: null, signature: { present: true, checked: true, valid: true } });
    expect(report.signature.fingerprint).toBe(fingerprints.alice);
  });

  it('signs in place by rewriting only the 128-byte prefix', async () => {
    await writeBundle(join(cwd, 'inplace.mbnd'), await linearBundle());
    const before = await readFile(join(cwd, 'inplace.mbnd'));
    const result = await cli('sign', 'inplace.mbnd', '--key', 'keys/alice.key', '--json');
    expect(result.code).toBe(0);
    expect(json(result.stdout)).toEqual({ file: 'inplace.mbnd', output: 'inplace.mbnd', fingerprint: fingerprints.alice });
    const after = await readFile(join(cwd, 'inplace.mbnd'));
    expect(after.subarray(PREFIX_BYTES).equals(before.subarray(PREFIX_BYTES))).toBe(true);
    expect(after.subarray(0, PREFIX_BYTES).equals(before.subarray(0, PREFIX_BYTES))).toBe(false);
    expect((await cli('verify', 'inplace.mbnd', '--public-key', 'keys/alice.pub')).code).toBe(0);
  });

  it('exits 19 for a signature by another key, and for an unsigned bundle', async () => {
    const wrong = await cli('verify', 'signed.mbnd', '--public-key', 'keys/mallory.pub');
    expect(wrong.code).toBe(SIGNATURE_EXIT);
    expect(wrong.stdout).toContain('signature: NOT TRUSTED');
    expect(wrong.stdout).toContain('signed.mbnd: intact, but not signed by a trusted key');
    expect(wrong.stderr).toContain('error [SIGNATURE_INVALID]');

    const wrongJson = json((await cli('verify', 'signed.mbnd', '--public-key', 'keys/mallory.pub', '--json')).stdout);
    expect(wrongJson).toMatchObject({ intact: true, signature: { present: true, checked: true, valid: false, fingerprint: null } });
    expect(wrongJson.error).toMatchObject({ code: 'SIGNATURE_INVALID', details: { reason: 'untrusted' } });

    const unsigned = await cli('verify', 'linear.mbnd', '--public-key', 'keys/alice.pub', '--json');
    expect(unsigned.code).toBe(SIGNATURE_EXIT);
    expect(json(unsigned.stdout)).toMatchObject({ signature: { present: false, checked: true, valid: false }, error: { details: { reason: 'unsigned' } } });
  });

  it('exits 12 for damaged bytes in a signed bundle (damage first), 19 for a changed signature or a re-sealed header', async () => {
    const signed = new Uint8Array(await readFile(join(cwd, 'signed.mbnd')));

    const damaged = signed.slice();
    damaged[damaged.length - 1]! ^= 0x01; // last byte of the last section
    await writeFile(join(cwd, 'damaged.mbnd'), damaged);
    const damage = await cli('verify', 'damaged.mbnd', '--public-key', 'keys/alice.pub', '--json');
    expect(damage.code).toBe(ErrorCodes.CORRUPT.exit);
    expect(json(damage.stdout)).toMatchObject({ intact: false, signature: { present: true, checked: false, valid: null }, error: { code: 'CORRUPT' } });

    const forged = signed.slice();
    forged[70]! ^= 0x01; // inside the signature slot (prefix bytes 64..127)
    await writeFile(join(cwd, 'forged.mbnd'), forged);
    expect((await cli('verify', 'forged.mbnd', '--public-key', 'keys/alice.pub')).code).toBe(SIGNATURE_EXIT);

    // Edit the header and recompute every digest, keeping the old signature: only the signature can tell.
    const original = await readBundle(join(cwd, 'signed.mbnd'));
    const { format: _format, sections: _sections, ...draft } = original.header;
    const edited = await createBundle({ ...draft, metadata: { ...draft.metadata, owner: 'mallory' } }, original.sections);
    await writeBundle(join(cwd, 'resealed.mbnd'), { ...edited, signature: original.signature as Uint8Array });
    expect((await cli('verify', 'resealed.mbnd')).code).toBe(0); // intact, but...
    const resealed = await cli('verify', 'resealed.mbnd', '--public-key', 'keys/alice.pub', '--json');
    expect(resealed.code).toBe(SIGNATURE_EXIT);
    expect(json(resealed.stdout).error.details.reason).toBe('untrusted');
  });
});

describe('predict and serve --public-key', () => {
  it('predicts from a bundle signed by a trusted key and refuses others with exit 19', async () => {
    const ok = await cli('predict', 'signed.mbnd', '-i', 'rows.json', '--public-key', 'keys/alice.pub');
    expect(ok).toMatchObject({ code: 0, stdout: '.pred\n0.5\n' });
    for (const [file, key] of [
      ['signed.mbnd', 'keys/mallory.pub'],
      ['linear.mbnd', 'keys/alice.pub'],
    ] as const) {
      const refused = await cli('predict', file, '-i', 'rows.json', '--public-key', key, '--json');
      expect(refused.code, file).toBe(SIGNATURE_EXIT);
      expect(json(refused.stdout).error.code).toBe('SIGNATURE_INVALID');
    }
  });

  it('serves a trusted bundle and refuses an unsigned one before listening', async () => {
    const refused = await cli('serve', 'linear.mbnd', '--port', '0', '--public-key', 'keys/alice.pub');
    expect(refused.code).toBe(SIGNATURE_EXIT);
    expect(refused.stdout).not.toContain('Serving');
    expect(refused.stderr).toContain('not signed');

    let proc: RunningCli | undefined;
    try {
      proc = startProcess(CLI, ['serve', 'signed.mbnd', '--port', '0', '--log-level', 'silent', '--public-key', 'keys/alice.pub'], { cwd });
      const [, url] = await proc.waitFor(/at (http:\/\/127\.0\.0\.1:\d+)/);
      expect(proc.stdout()).toContain(`Signature verified: signed by ${fingerprints.alice}`);
      expect(await (await fetch(`${url}/ping`)).json()).toEqual({ status: 'ok' });
      proc.child.kill('SIGTERM');
      expect(await proc.exited).toBe(0);
    } finally {
      if (proc?.child.exitCode === null) proc.child.kill('SIGKILL');
    }
  });
});
