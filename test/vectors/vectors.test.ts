import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeBundle, type ErrorCode, inspect, isModelBundleError, verifySignature } from '@modelbundle/core';
import { inspectFile, readBundle } from '@modelbundle/core/node';
import { expectCode } from '@modelbundle/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { type InvalidExpectation, loadVectors, toJson, type ValidExpectation, VECTORS_DIR } from './vectors.js';

const valid = loadVectors<ValidExpectation>('valid');
const invalid = loadVectors<InvalidExpectation>('invalid');

describe('conformance vectors', () => {
  const out = mkdtempSync(join(tmpdir(), 'mbnd-vectors-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('has at least 15 valid and 40 invalid vectors, each with an expected outcome', () => {
    expect(valid.length).toBeGreaterThanOrEqual(15);
    expect(invalid.length).toBeGreaterThanOrEqual(40);
    for (const v of valid) expect(v.expected.valid, v.name).toBe(true);
    for (const v of invalid) expect(v.expected.error, v.name).toMatch(/^[A-Z_]+$/);
  });

  it('the generator reproduces the committed files byte for byte (no format drift)', () => {
    execFileSync(process.execPath, [join(VECTORS_DIR, 'generate.mjs'), out], { stdio: 'pipe' });
    for (const folder of ['valid', 'invalid']) {
      const committed = readdirSync(join(VECTORS_DIR, folder)).sort();
      const generated = readdirSync(join(out, folder)).sort();
      expect(generated, `files in ${folder}/`).toEqual(committed);
      const changed = generated.filter((f) => !readFileSync(join(out, folder, f)).equals(readFileSync(join(VECTORS_DIR, folder, f))));
      expect(
        changed,
        `${folder}/ files whose bytes the generator now writes differently; if the change is intended, it is a format change (docs/FORMAT.md, section 9)`,
      ).toEqual([]);
    }
  });

  describe.each(valid)('valid/$name', (v) => {
    it('decodes to the expected header and section digests', async () => {
      const bundle = await decodeBundle(v.bytes);
      expect(toJson(bundle.header)).toEqual(v.expected.header);
      expect(Buffer.from(bundle.headerDigest).toString('hex')).toBe(v.expected.headerDigest);
      expect(v.bytes.length).toBe(v.expected.fileLength);
      expect(bundle.signature !== undefined).toBe(v.expected.signed);
      const sections = [...bundle.sections].map(([name, data]) => ({ name, length: data.length, sha256: createHash('sha256').update(data).digest('hex') }));
      expect(sections).toEqual(v.expected.sections);
    });

    it('reads the same from its file', async () => {
      const bundle = await readBundle(v.path);
      expect(toJson(bundle.header)).toEqual(v.expected.header);
      expect([...bundle.sections.keys()]).toEqual(v.expected.sections.map((s) => s.name));
    });

    it('inspects from its head alone, reading 128 + headerLength bytes', async () => {
      const head = await inspect(v.bytes);
      expect(toJson(head.header)).toEqual(v.expected.header);
      const file = await inspectFile(v.path);
      expect(file.bytesRead).toBe(128 + file.headerLength);
      expect(await inspect(v.bytes.subarray(0, file.bytesRead))).toEqual(head);
    });

    if (v.expected.publicKey) {
      it('has a signature that verifies against its public key', async () => {
        const bundle = await decodeBundle(v.bytes);
        await expect(verifySignature(bundle, [Uint8Array.from(Buffer.from(v.expected.publicKey as string, 'hex'))])).resolves.toBeDefined();
      });
    }
  });

  describe.each(invalid)('invalid/$name', (v) => {
    it(`is refused with ${v.expected.error}`, async () => {
      const { details } = await expectCode(decodeBundle(v.bytes), v.expected.error as ErrorCode);
      if (v.expected.region) expect(details.region).toBe(v.expected.region);
      if (v.expected.details) expect(details).toMatchObject(v.expected.details);
    });

    it('is refused by inspection with the same code, unless only its sections are bad', async () => {
      const outcome = await inspectFile(v.path).then(
        () => null,
        (error: unknown) => (isModelBundleError(error) ? error.code : error),
      );
      // Inspection stops after the header (checks 1-15); only section-table, padding and digest checks remain.
      if (outcome === null) expect(['MALFORMED', 'CORRUPT']).toContain(v.expected.error);
      else expect(outcome).toBe(v.expected.error);
    });

    it(`is refused with ${v.expected.error} when read from its file`, async () => {
      const { details } = await expectCode(readBundle(v.path), v.expected.error as ErrorCode);
      if (v.expected.region) expect(details.region).toBe(v.expected.region);
    });
  });
});
