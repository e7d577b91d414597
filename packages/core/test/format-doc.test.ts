import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { createBundle, decodeBundle, encodeBundle, type Header, type HeaderDraft, inspect } from '@modelbundle/core';
import { FORMAT_VERSION, PREFIX_BYTES, SIGNATURE_DOMAIN, sha256, signatureMessage } from '@modelbundle/core/format';
import { toHex } from '@modelbundle/core/internal';
import { expectCode } from '@modelbundle/testing';
import { describe, expect, it } from 'vitest';

const FORMAT_MD = fileURLToPath(new URL('../../../docs/FORMAT.md', import.meta.url));

/** The worked example of docs/FORMAT.md: its header (json block) and its bytes (hexdump block). */
async function workedExample(): Promise<{ header: Header; bytes: Uint8Array; rows: { offset: number; bytes: number[] }[] }> {
  const doc = await readFile(FORMAT_MD, 'utf8');
  const section = doc.slice(doc.indexOf('## 13. Worked example'));
  const json = /```json\n([\s\S]*?)\n```/.exec(section)?.[1];
  const dump = /```hexdump\n([\s\S]*?)\n```/.exec(section)?.[1];
  if (!json || !dump) throw new Error('docs/FORMAT.md has no worked example (json and hexdump blocks)');
  const rows = dump.split('\n').map((line) => {
    const match = /^([0-9a-f]{6}) {2}((?:[0-9a-f]{2} ?)+?)(?: {2,}.*)?$/.exec(line);
    if (!match) throw new Error(`unreadable hexdump line: ${line}`);
    return {
      offset: Number.parseInt(match[1] as string, 16),
      bytes: (match[2] as string)
        .trim()
        .split(' ')
        .map((h) => Number.parseInt(h, 16)),
    };
  });
  return { header: JSON.parse(json) as Header, bytes: Uint8Array.from(rows.flatMap((r) => r.bytes)), rows };
}

const f32 = (values: number[]) => new Uint8Array(new Float32Array(values).buffer);

describe('docs/FORMAT.md worked example', () => {
  it('lists every byte once, in order', async () => {
    const { rows, bytes } = await workedExample();
    let expected = 0;
    for (const row of rows) {
      expect(row.offset).toBe(expected);
      expected += row.bytes.length;
    }
    expect(bytes.length).toBe(644);
  });

  it('decodes to the documented header and sections', async () => {
    const { header, bytes } = await workedExample();
    const bundle = await decodeBundle(bytes);
    expect(bundle.header).toEqual(header);
    expect(bundle.header.format).toBe(FORMAT_VERSION);
    expect(bundle.sections.get('weights')).toEqual(f32([0.5, -1]));
    expect(bundle.sections.get('bias')).toEqual(f32([0.25]));
    const info = await inspect(bytes);
    expect(info).toMatchObject({ fileLength: 644, headerLength: 423, signed: false });
    expect(info.headerDigest).toBe('7c2afc81d07cb88147297149158470c40434495297311a971d2414567388b52d');
  });

  it('is exactly what the encoder writes (golden bytes)', async () => {
    const { header, bytes } = await workedExample();
    const { format: _format, sections: _sections, ...fields } = header;
    const draft: HeaderDraft = fields;
    const built = await createBundle(draft, [
      ['weights', f32([0.5, -1])],
      ['bias', f32([0.25])],
    ]);
    const encoded = encodeBundle(built);
    expect(toHex(encoded)).toBe(toHex(bytes));
  });
});

describe('signature slot', () => {
  it('signs the documented 57-byte message: domain string, 0x00, header digest', async () => {
    const digest = await sha256(new TextEncoder().encode('any header'));
    const message = signatureMessage(digest);
    expect(message.length).toBe(57);
    expect(SIGNATURE_DOMAIN).toBe('modelbundle:signature:v1');
    expect(toHex(message.subarray(0, 25))).toBe('6d6f64656c62756e646c653a7369676e61747572653a763100');
    expect(message.subarray(25)).toEqual(digest);
    await expectCode(() => signatureMessage(new Uint8Array(31)), 'INVALID_ARGUMENT');
  });

  it('carries an Ed25519 signature over that message in prefix bytes 64..127, flag bit 0 set', async () => {
    const { bytes: unsigned } = await workedExample();
    const bundle = await decodeBundle(unsigned);
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const signature = new Uint8Array(sign(null, signatureMessage(bundle.headerDigest), privateKey));
    const signed = encodeBundle({ ...bundle, signature });
    // Only the prefix changes: flags and the signature slot.
    expect(signed.subarray(PREFIX_BYTES)).toEqual(unsigned.subarray(PREFIX_BYTES));
    expect(new DataView(signed.buffer).getUint32(12, true)).toBe(1);
    expect(signed.subarray(64, 128)).toEqual(signature);
    const decoded = await decodeBundle(signed);
    expect(decoded.signature).toEqual(signature);
    expect((await inspect(signed)).signed).toBe(true);
    expect(verify(null, signatureMessage(decoded.headerDigest), publicKey, decoded.signature as Uint8Array)).toBe(true);
    // A signature over the bare digest (no domain string) is a different message.
    expect(verify(null, decoded.headerDigest, publicKey, decoded.signature as Uint8Array)).toBe(false);
  });

  it('refuses a signature that is not 64 bytes', async () => {
    const bundle = await decodeBundle((await workedExample()).bytes);
    await expectCode(() => encodeBundle({ ...bundle, signature: new Uint8Array(10) }), 'INVALID_ARGUMENT');
  });
});
