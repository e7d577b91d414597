import { createBundle, decodeBundle, type ErrorCode, encodeBundle } from '@modelbundle/core';
import { FORMAT_VERSION, LIMITS, sha256 } from '@modelbundle/core/format';
import { toHex } from '@modelbundle/core/internal';
import { draft, expectCode } from '@modelbundle/testing';
import fc from 'fast-check';
import { unpack } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { assemble, headerFor, pack } from './helpers.js';

const concat = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));

/** A MessagePack map from raw key/value bytes, so a test can write what msgpackr never would (duplicate keys). */
function rawMap(pairs: [Uint8Array, Uint8Array][]): Uint8Array {
  const head = pairs.length < 16 ? Uint8Array.of(0x80 | pairs.length) : Uint8Array.of(0xde, pairs.length >> 8, pairs.length & 0xff);
  return concat(head, ...pairs.flat());
}

/** Nests `inner` in `levels` single-item arrays. */
function nest(levels: number, inner: unknown): unknown {
  let value = inner;
  for (let i = 0; i < levels; i++) value = [value];
  return value;
}

async function headerValueBytes(metadata: Record<string, unknown>): Promise<string> {
  const bundle = await createBundle(draft({ metadata }));
  return toHex(bundle.headerBytes);
}

describe('canonical header encoding (writers)', () => {
  const integers: [number, string][] = [
    [0, '00'],
    [-0, '00'],
    [127, '7f'],
    [128, 'cc80'],
    [255, 'ccff'],
    [256, 'cd0100'],
    [65535, 'cdffff'],
    [65536, 'ce00010000'],
    [2 ** 32 - 1, 'ceffffffff'],
    [2 ** 32, 'd30000000100000000'],
    [2 ** 53 - 1, 'd3001fffffffffffff'],
    [-1, 'ff'],
    [-32, 'e0'],
    [-33, 'd0df'],
    [-128, 'd080'],
    [-129, 'd1ff7f'],
    [-32768, 'd18000'],
    [-32769, 'd2ffff7fff'],
    [-(2 ** 31), 'd280000000'],
    [-(2 ** 31) - 1, 'd3ffffffff7fffffff'],
    [-(2 ** 53 - 1), 'd3ffe0000000000001'],
    [1.0, '01'],
    [0.5, 'cb3fe0000000000000'],
    [Number.NaN, 'cb7ff8000000000000'],
    [Number.POSITIVE_INFINITY, 'cb7ff0000000000000'],
  ];
  it.each(integers)('writes %d as %s', async (value, hex) => {
    // metadata {v: value}: fixmap(1) "v" value
    expect(await headerValueBytes({ v: value })).toContain(`a8${toHex(new TextEncoder().encode('metadata'))}81a176${hex}`);
  });

  it('writes strings, binaries and containers with the smallest length form', async () => {
    const hex = await headerValueBytes({ a: 'x'.repeat(31), b: 'x'.repeat(32), c: Uint8Array.of(1, 2), d: Array(16).fill(0), e: [] });
    expect(hex).toContain(`a161bf${'78'.repeat(31)}`);
    expect(hex).toContain(`a162d920${'78'.repeat(32)}`);
    expect(hex).toContain('a163c4020102');
    expect(hex).toContain(`a164dc0010${'00'.repeat(16)}`);
    expect(hex).toContain('a16590');
  });

  it('sorts map keys by UTF-8 bytes (code point order), not UTF-16 units', async () => {
    const bundle = await createBundle(draft({ metadata: { '\u{1F600}': 1, '\uFFFD': 2, b: 3, ab: 4, a: 5, B: 6 } }));
    const decoded = await decodeBundle(encodeBundle(bundle));
    const keys = Object.keys(decoded.header.metadata);
    expect(keys).toEqual(['B', 'a', 'ab', 'b', '\uFFFD', '\u{1F600}']);
    const utf8 = keys.map((k) => Buffer.from(k, 'utf8'));
    expect([...utf8].sort(Buffer.compare)).toEqual(utf8);
    const raw = unpack(decoded.headerBytes) as Record<string, unknown>;
    expect(Object.keys(raw)).toEqual([...Object.keys(raw)].sort());
    expect(Object.keys(raw).indexOf('sections')).toBe(Object.keys(raw).indexOf('requires') + 1);
  });

  it('drops undefined fields', async () => {
    const bundle = await createBundle(draft({ metadata: { kept: 1, gone: undefined } }));
    expect(bundle.header.metadata).toEqual({ kept: 1 });
  });

  const unstorable: [string, unknown][] = [
    ['a Date', new Date(0)],
    ['a Map', new Map()],
    ['a class instance', new (class Point {})()],
    ['a bigint', 5n],
    ['a function', () => 1],
    ['a lone surrogate', 'bad \uD800 string'],
  ];
  it.each(unstorable)('refuses %s in the header with INVALID_ARGUMENT', async (_, value) => {
    const error = await expectCode(() => createBundle(draft({ metadata: { value } })), 'INVALID_ARGUMENT');
    expect(error.message).toMatch(/metadata\.value/);
  });

  it('refuses a key with a lone surrogate', async () => {
    await expectCode(() => createBundle(draft({ summary: { 'k\uDC00': 1 } })), 'INVALID_ARGUMENT');
  });

  it('allows 32 levels of nesting (the header map is level 1) and refuses 33', async () => {
    // metadata is level 2, so 30 arrays inside it reach level 32.
    await expect(createBundle(draft({ metadata: { deep: nest(29, []) } }))).resolves.toBeDefined();
    const error = await expectCode(() => createBundle(draft({ metadata: { deep: nest(30, []) } })), 'LIMIT_EXCEEDED');
    expect(error.message).toMatch(/nests deeper than 32/);
  });

  it('refuses metadata over 1 MiB and a header over 16 MiB', async () => {
    const meta = await expectCode(() => createBundle(draft({ metadata: { a: 'x'.repeat(600_000), b: 'y'.repeat(600_000) } })), 'LIMIT_EXCEEDED');
    expect(meta.message).toMatch(/Metadata is \d+ bytes encoded, over the limit of 1048576/);
    const big = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`s${i}`, 'z'.repeat(1024 * 1024 - 16)]));
    const header = await expectCode(() => createBundle(draft({ summary: big })), 'LIMIT_EXCEEDED');
    expect(header.message).toMatch(/Header is \d+ bytes, over the limit of 16777216/);
  });

  const badSections: [string, [string, Uint8Array][]][] = [
    [
      'duplicate section names',
      [
        ['a', new Uint8Array(1)],
        ['a', new Uint8Array(2)],
      ],
    ],
    ['a section name with a space', [['my weights', new Uint8Array(1)]]],
    ['an empty section name', [['', new Uint8Array(1)]]],
  ];
  it.each(badSections)('refuses %s with INVALID_ARGUMENT', async (_, sections) => {
    const error = await expectCode(() => createBundle(draft(), sections), 'INVALID_ARGUMENT');
    expect(error.message).toMatch(/readers would refuse it/);
  });

  it('refuses a section name over 256 characters as a limit', async () => {
    await expectCode(() => createBundle(draft(), [['n'.repeat(257), new Uint8Array(1)]]), 'LIMIT_EXCEEDED');
  });
});

describe('header rules (readers)', () => {
  async function decodeHeader(header: Uint8Array) {
    return decodeBundle(await assemble(header));
  }
  const good = async (overrides: Record<string, unknown> = {}) => headerFor(null, overrides);

  it('reads any UTF-8 text in metadata keys and values, ASCII or not, short or long', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(fc.string({ unit: 'grapheme', maxLength: 80 }), fc.string({ unit: 'grapheme', maxLength: 80 }), { maxKeys: 6 }),
        async (metadata) => {
          const clean = Object.fromEntries(Object.entries(metadata).filter(([k]) => !['__proto__', 'constructor', 'prototype'].includes(k)));
          expect((await decodeHeader(pack(await good({ metadata: clean })))).header.metadata).toEqual(clean);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('decodes a hand-built header with non-canonical but valid encodings', async () => {
    const header = await good({ metadata: { b: 1, a: 2 } });
    const bytes = await assemble(pack(header));
    expect((await decodeBundle(bytes)).header.metadata).toEqual({ b: 1, a: 2 });
  });

  const limitCases: { name: string; build: () => Promise<Uint8Array>; code: ErrorCode; message: RegExp }[] = [
    {
      name: 'an extension type (a msgpack timestamp)',
      build: async () => pack(await good({ metadata: { when: new Date(0) } })),
      code: 'MALFORMED',
      message: /extension type 0xd6/,
    },
    {
      name: 'the never-used byte 0xc1',
      build: async () => concat(pack(await good()).subarray(0, 0), Uint8Array.of(0xc1)),
      code: 'MALFORMED',
      message: /0xc1/,
    },
    {
      name: 'a __proto__ key',
      build: async () => pack(await good({ metadata: JSON.parse('{"__proto__": {"polluted": true}}') })),
      code: 'MALFORMED',
      message: /"__proto__" is not allowed/,
    },
    {
      name: 'a constructor key',
      build: async () => pack(await good({ summary: { constructor: 1 } })),
      code: 'MALFORMED',
      message: /"constructor" is not allowed/,
    },
    { name: 'a prototype key', build: async () => pack(await good({ payload: { prototype: 1 } })), code: 'MALFORMED', message: /"prototype" is not allowed/ },
    {
      name: 'a duplicate key',
      build: async () => {
        const header = await good();
        return rawMap([...Object.entries(header).map(([k, v]) => [pack(k), pack(v)] as [Uint8Array, Uint8Array]), [pack('kind'), pack('other.kind')]]);
      },
      code: 'MALFORMED',
      message: /"kind" appears twice in one map/,
    },
    {
      name: 'a non-string key',
      build: async () => {
        const header = await good();
        return rawMap([...Object.entries(header).map(([k, v]) => [pack(k), pack(v)] as [Uint8Array, Uint8Array]), [pack(7), pack(1)]]);
      },
      code: 'MALFORMED',
      message: /map keys must be strings/,
    },
    {
      name: 'invalid UTF-8 in a string value',
      build: async () => {
        const header = await good();
        return rawMap([
          ...Object.entries(header).map(([k, v]) => [pack(k), k === 'created' ? Uint8Array.of(0xa2, 0xc3, 0x28) : pack(v)] as [Uint8Array, Uint8Array]),
        ]);
      },
      code: 'MALFORMED',
      message: /a string is not valid UTF-8/,
    },
    {
      name: 'invalid UTF-8 in a short map key',
      build: async () =>
        rawMap([...Object.entries(await good()).map(([k, v]) => [pack(k), pack(v)] as [Uint8Array, Uint8Array]), [Uint8Array.of(0xa2, 0xc3, 0x28), pack(1)]]),
      code: 'MALFORMED',
      message: /a map key is not valid UTF-8/,
    },
    {
      name: 'invalid UTF-8 in a long map key',
      build: async () =>
        rawMap([
          ...Object.entries(await good()).map(([k, v]) => [pack(k), pack(v)] as [Uint8Array, Uint8Array]),
          [concat(Uint8Array.of(0xd9, 100), new Uint8Array(98).fill(0x61), Uint8Array.of(0xc3, 0x28)), pack(1)],
        ]),
      code: 'MALFORMED',
      message: /a map key is not valid UTF-8/,
    },
    {
      name: 'a non-ASCII key twice in one map',
      build: async () => {
        const header = await good();
        const metadata = rawMap([
          [pack('größe'), pack(1)],
          [pack('größe'), pack(2)],
        ]);
        return rawMap(Object.entries(header).map(([k, v]) => [pack(k), k === 'metadata' ? metadata : pack(v)] as [Uint8Array, Uint8Array]));
      },
      code: 'MALFORMED',
      message: /"größe" appears twice in one map/,
    },
    {
      name: 'a lying map count',
      build: async () => Uint8Array.of(0xdf, 0xff, 0xff, 0xff, 0xff, 0xa1, 0x61, 0x01),
      code: 'MALFORMED',
      message: /declares 4294967295 entries but only 3 bytes remain/,
    },
    {
      name: 'a lying array count',
      build: async () => concat(Uint8Array.of(0x81, 0xa1, 0x61, 0xdd, 0x7f, 0xff, 0xff, 0xff), new Uint8Array(20)),
      code: 'MALFORMED',
      message: /declares 2147483647 entries/,
    },
    {
      name: 'a lying string length',
      build: async () => Uint8Array.of(0x81, 0xa1, 0x61, 0xda, 0x10, 0x00, 0x61),
      code: 'MALFORMED',
      message: /needs 4096 more bytes/,
    },
    {
      name: 'bytes after the header value',
      build: async () => concat(pack(await good()), Uint8Array.of(0xc0)),
      code: 'MALFORMED',
      message: /1 bytes follow the header's single value/,
    },
    {
      name: 'nesting deeper than 32 levels',
      build: async () => pack(await good({ metadata: { deep: nest(40, 1) } })),
      code: 'LIMIT_EXCEEDED',
      message: /nested deeper than 32/,
    },
    {
      name: 'an empty container at level 33',
      build: async () => pack(await good({ metadata: { deep: nest(30, []) } })),
      code: 'LIMIT_EXCEEDED',
      message: /nested deeper than 32/,
    },
    {
      name: 'a string over 1 MiB',
      build: async () => pack(await good({ summary: { text: 's'.repeat(LIMITS.stringBytes + 1) } })),
      code: 'LIMIT_EXCEEDED',
      message: /over the limit of 1048576/,
    },
    {
      name: 'a binary over 1 MiB',
      build: async () => pack(await good({ payload: { blob: new Uint8Array(LIMITS.stringBytes + 1) } })),
      code: 'LIMIT_EXCEEDED',
      message: /over the limit of 1048576/,
    },
    {
      name: 'more than 1 000 000 entries',
      build: async () => pack(await good({ summary: { many: new Array(LIMITS.entries + 1).fill(0) } })),
      code: 'LIMIT_EXCEEDED',
      message: /more than 1000000 map entries/,
    },
    {
      name: 'metadata over 1 MiB',
      build: async () => pack(await good({ metadata: { a: 'x'.repeat(600_000), b: 'y'.repeat(600_000) } })),
      code: 'LIMIT_EXCEEDED',
      message: /metadata is \d+ bytes, over the limit of 1048576/,
    },
    {
      name: 'more than 65 536 sections',
      build: async () => {
        const entry = { offset: 0, length: 0, sha256: toHex(await sha256(new Uint8Array(0))) };
        return pack(await good({ sections: Array.from({ length: LIMITS.sections + 1 }, (_, i) => ({ name: `s${i}`, ...entry })) }));
      },
      code: 'LIMIT_EXCEEDED',
      message: /Header field "sections" is invalid/,
    },
  ];
  it.each(limitCases)('refuses $name with $code', async ({ build, code, message }) => {
    const error = await expectCode(async () => decodeHeader(await build()), code);
    expect(error.message).toMatch(message);
    expect(error.details.region).toBe('header');
  });

  const fieldCases: [string, Record<string, unknown> | ((h: Record<string, unknown>) => unknown), string][] = [
    ['kind missing', (h) => ({ ...h, kind: undefined }), 'kind'],
    ['kind in upper case', { kind: 'Tfjs.Sequential' }, 'kind'],
    ['kind too long', { kind: 'k'.repeat(129) }, 'kind'],
    ['format without a patch', { format: '1.0' }, 'format'],
    ['format with a pre-release', { format: '1.0.0-beta.1' }, 'format'],
    ['serializer version not semver', { serializer: { version: 'v1' } }, 'serializer.version'],
    ['serializer package null', { serializer: { version: '1.0.0', package: null } }, 'serializer.package'],
    ['producer missing', (h) => ({ ...h, producer: undefined }), 'producer'],
    ['created not a date-time', { created: 'yesterday' }, 'created'],
    ['requires with a bad range', { requires: { left: 'not a range!' } }, 'requires.left'],
    ['metadata an array', { metadata: [1, 2] }, 'metadata'],
    ['ptype missing', (h) => ({ ...h, ptype: undefined }), 'ptype'],
    ['summary a string', { summary: 'big' }, 'summary'],
    ['sections not an array', { sections: {} }, 'sections'],
    ['a section digest in upper case', { sections: [{ name: 'a', offset: 0, length: 0, sha256: 'E'.repeat(64) }] }, 'sections.0.sha256'],
    ['a negative section offset', { sections: [{ name: 'a', offset: -1, length: 0, sha256: 'e'.repeat(64) }] }, 'sections.0.offset'],
    ['a fractional section length', { sections: [{ name: 'a', offset: 0, length: 1.5, sha256: 'e'.repeat(64) }] }, 'sections.0.length'],
    ['the header an array', () => [1, 2, 3], '(root)'],
  ];
  it.each(fieldCases)('refuses %s', async (_, change, field) => {
    const base = await good();
    const header = typeof change === 'function' ? change(base) : { ...base, ...change };
    const clean = Array.isArray(header) ? header : Object.fromEntries(Object.entries(header as object).filter(([, v]) => v !== undefined));
    const error = await expectCode(() => decodeHeader(pack(clean)), field === 'kind' && _ === 'kind too long' ? 'LIMIT_EXCEEDED' : 'MALFORMED');
    expect(error.details.field).toBe(field);
    expect(error.message).toContain(`Header field "${field}" is invalid`);
  });

  it('keeps the format version the writer recorded', async () => {
    expect((await decodeHeader(pack(await good()))).header.format).toBe(FORMAT_VERSION);
  });
});
