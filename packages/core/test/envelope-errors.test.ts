import { decodeBundle, type ErrorCode, inspect } from '@modelbundle/core';
import { decodePrefix, FORMAT_VERSION, PREFIX_BYTES, sha256 } from '@modelbundle/core/format';
import { expectCode } from '@modelbundle/testing';
import { describe, expect, it } from 'vitest';
import { assemble, encoded, headerFor, pack, pattern } from './helpers.js';

/** A bundle with two sections whose layout the corruption cases below rely on. */
async function sample(): Promise<{ bytes: Uint8Array; headerLength: number; dataStart: number }> {
  const bytes = await encoded([
    ['first', pattern(10)],
    ['second', pattern(100, 7)],
  ]);
  const headerLength = Number(new DataView(bytes.buffer).getBigUint64(16, true));
  return { bytes, headerLength, dataStart: Math.ceil((PREFIX_BYTES + headerLength) / 64) * 64 };
}

type Mutation = (bytes: Uint8Array, layout: { headerLength: number; dataStart: number }) => Uint8Array;

const setU32 = (bytes: Uint8Array, at: number, value: number) => new DataView(bytes.buffer, bytes.byteOffset).setUint32(at, value, true);
const setU64 = (bytes: Uint8Array, at: number, value: bigint) => new DataView(bytes.buffer, bytes.byteOffset).setBigUint64(at, value, true);

const cases: { name: string; mutate: Mutation; code: ErrorCode; message: RegExp; region?: string }[] = [
  { name: 'empty input', mutate: () => new Uint8Array(0), code: 'NOT_A_BUNDLE', message: /Not a modelbundle file.*\(none\)/ },
  { name: 'a text file', mutate: () => new TextEncoder().encode('{"not": "a bundle"}'), code: 'NOT_A_BUNDLE', message: /first bytes are 7b22/ },
  {
    name: 'a PNG file',
    mutate: () => Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0),
    code: 'NOT_A_BUNDLE',
    message: /expected 894d424e440d0a1a/,
  },
  { name: 'truncated inside the magic', mutate: (b) => b.slice(0, 5), code: 'TRUNCATED', message: /shorter than the 128-byte prefix/ },
  { name: 'truncated inside the prefix', mutate: (b) => b.slice(0, 100), code: 'TRUNCATED', message: /100 bytes, shorter than the 128-byte prefix/ },
  { name: 'truncated right after the prefix', mutate: (b) => b.slice(0, PREFIX_BYTES), code: 'TRUNCATED', message: /but its prefix says/ },
  { name: 'truncated inside the header', mutate: (b, l) => b.slice(0, PREFIX_BYTES + l.headerLength - 10), code: 'TRUNCATED', message: /truncated/ },
  { name: 'truncated inside the padding', mutate: (b, l) => b.slice(0, l.dataStart - 1), code: 'TRUNCATED', message: /truncated/ },
  { name: 'truncated inside a section', mutate: (b, l) => b.slice(0, l.dataStart + 80), code: 'TRUNCATED', message: /truncated/ },
  { name: 'missing its last byte', mutate: (b) => b.slice(0, -1), code: 'TRUNCATED', message: /truncated/ },
  {
    name: 'trailing bytes',
    mutate: (b) => {
      const out = new Uint8Array(b.length + 3);
      out.set(b);
      return out;
    },
    code: 'TRUNCATED',
    message: /3 bytes after its end/,
  },
  {
    name: 'header digest mismatch',
    mutate: (b) => {
      b[PREFIX_BYTES + 3] = (b[PREFIX_BYTES + 3] as number) ^ 1;
      return b;
    },
    code: 'CORRUPT',
    message: /Header is damaged: its SHA-256 is [0-9a-f]{64}, the prefix records [0-9a-f]{64}/,
    region: 'header',
  },
  {
    name: 'digest field itself damaged',
    mutate: (b) => {
      b[40] = (b[40] as number) ^ 0x80;
      return b;
    },
    code: 'CORRUPT',
    message: /Header is damaged/,
  },
  {
    name: 'section digest mismatch',
    mutate: (b, l) => {
      b[l.dataStart + 64 + 50] = (b[l.dataStart + 64 + 50] as number) ^ 0xff;
      return b;
    },
    code: 'CORRUPT',
    message: /Section "second" is damaged/,
    region: 'section:second',
  },
  {
    name: 'non-zero padding after the header',
    mutate: (b, l) => {
      b[l.dataStart - 1] = 1;
      return b;
    },
    code: 'CORRUPT',
    message: /padding before header/,
    region: 'padding:header',
  },
  {
    name: 'non-zero padding between sections',
    mutate: (b, l) => {
      b[l.dataStart + 20] = 1;
      return b;
    },
    code: 'CORRUPT',
    message: /padding before section:second/,
    region: 'padding:section:second',
  },
  {
    name: 'undefined flag bits',
    mutate: (b) => {
      setU32(b, 12, 0x6);
      return b;
    },
    code: 'MALFORMED',
    message: /flags are 0x6, but only bit 0/,
  },
  {
    name: 'signature bytes in an unsigned bundle',
    mutate: (b) => {
      b[100] = 7;
      return b;
    },
    code: 'CORRUPT',
    message: /signature field holds bytes but the signed flag is clear/,
  },
  {
    name: 'the signed flag with an empty signature slot',
    mutate: (b) => {
      setU32(b, 12, 1);
      return b;
    },
    code: 'CORRUPT',
    message: /signed flag is set but the signature field is empty/,
  },
  {
    name: 'header length 0',
    mutate: (b) => {
      setU64(b, 16, 0n);
      return b;
    },
    code: 'MALFORMED',
    message: /header is 0 bytes/,
  },
  {
    name: 'header length past the file length',
    mutate: (b) => {
      setU64(b, 16, BigInt(b.length));
      return b;
    },
    code: 'MALFORMED',
    message: /cannot hold it/,
  },
  {
    name: 'oversize header length',
    mutate: (b) => {
      setU64(b, 16, 16n * 1024n * 1024n + 1n);
      return b;
    },
    code: 'LIMIT_EXCEEDED',
    message: /over the limit of 16777216/,
  },
  {
    name: 'file length beyond 2^53',
    mutate: (b) => {
      setU64(b, 24, 2n ** 60n);
      return b;
    },
    code: 'LIMIT_EXCEEDED',
    message: /beyond 2\^53 - 1/,
  },
  {
    name: 'file length that disagrees with the section table',
    mutate: (b) => {
      setU64(b, 24, BigInt(b.length - 1));
      return b.slice(0, -1);
    },
    code: 'MALFORMED',
    message: /no holes and no trailing bytes/,
  },
  {
    name: 'format minor that disagrees with the header',
    mutate: (b) => {
      b[10] = 4;
      return b;
    },
    code: 'MALFORMED',
    message: /Header format 1\.0\.0 disagrees with the prefix \(1\.4\)/,
  },
];

describe('decoding refuses damaged input with a typed error', () => {
  it.each(cases)('$name → $code', async ({ mutate, code, message, region }) => {
    const { bytes, ...layout } = await sample();
    const error = await expectCode(() => decodeBundle(mutate(bytes, layout)), code);
    expect(error.message).toMatch(message);
    if (region) expect(error.details.region).toBe(region);
  });

  it('checks the format major before the prefix length, so any future file is refused for its version', async () => {
    const bytes = (await encoded()).slice(0, 12);
    bytes[8] = 2;
    const error = await expectCode(() => decodeBundle(bytes), 'UNSUPPORTED_FORMAT');
    expect(error.details.upgradeTo).toBe('2.0.0');
  });

  it('inspect refuses a head shorter than its header', async () => {
    const bytes = await encoded();
    const error = await expectCode(() => inspect(bytes.slice(0, PREFIX_BYTES + 5)), 'TRUNCATED');
    expect(error.details.region).toBe('header');
  });

  it('decodePrefix reports the prefix fields of a good bundle', async () => {
    const bytes = await encoded();
    const prefix = decodePrefix(bytes, bytes.length);
    expect(prefix).toMatchObject({ formatMajor: 1, formatMinor: 0, flags: 0, fileLength: bytes.length });
    expect(prefix.headerDigest).toEqual(await sha256(bytes.subarray(PREFIX_BYTES, PREFIX_BYTES + prefix.headerLength)));
    expect(prefix.signature).toBeUndefined();
  });
});

describe('the section table must tile the file', () => {
  const data = pattern(100);
  const tables: { name: string; sections: (entry: Record<string, unknown>) => unknown[]; message: RegExp; data?: Uint8Array }[] = [
    { name: 'offset not where the layout puts it', sections: (e) => [{ ...e, offset: 64 }], message: /starts at data offset 64, expected 0/ },
    { name: 'duplicate names', sections: (e) => [e, { ...e, offset: 128 }], message: /appears twice/ },
    { name: 'a length running past the end of the file', sections: (e) => [{ ...e, length: 150 }], message: /covers .* bytes but the file is/ },
    { name: 'a hole after the last section', sections: (e) => [{ ...e, length: 90 }], message: /no holes and no trailing bytes/ },
    {
      name: 'a length past any possible file end',
      sections: (e) => [{ ...e, length: Number.MAX_SAFE_INTEGER - 10 }],
      message: /runs past any possible file end/,
    },
  ];
  it.each(tables)('$name → MALFORMED', async ({ sections }) => {
    const header = await headerFor(data);
    const entry = (header.sections as Record<string, unknown>[])[0] as Record<string, unknown>;
    const bytes = await assemble(pack({ ...header, sections: sections(entry) }), data);
    const error = await expectCode(() => decodeBundle(bytes), 'MALFORMED');
    expect(error.message).toMatch(tables.find((t) => t.sections === sections)?.message as RegExp);
  });

  it('a section table with no sections means a file that ends after the header', async () => {
    const header = pack(await headerFor(null));
    const bytes = await assemble(header);
    expect(bytes.length).toBe(PREFIX_BYTES + header.length);
    expect((await decodeBundle(bytes)).header.format).toBe(FORMAT_VERSION);
    const padded = new Uint8Array(bytes.length + 10);
    padded.set(bytes);
    new DataView(padded.buffer).setBigUint64(24, BigInt(padded.length), true);
    const error = await expectCode(() => decodeBundle(padded), 'MALFORMED');
    expect(error.message).toMatch(/no holes and no trailing bytes/);
  });
});
