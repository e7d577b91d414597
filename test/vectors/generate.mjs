#!/usr/bin/env node
/**
 * Writes the conformance vectors of docs/FORMAT.md: valid bundles, each with
 * the header and section digests a reader must report, and invalid ones,
 * each with the error code a reader must raise (section 11).
 *
 *   node test/vectors/generate.mjs [outDir]      (default: test/vectors)
 *
 * Valid vectors in canonical form are written by @modelbundle/core (build it
 * first) and, independently, by this script from the spec; the two must give
 * the same bytes. Everything is deterministic (fixed `created`, fixed keys),
 * so a second run gives identical files and any change is format drift.
 */
import { createHash, createPrivateKey } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBundle, encodeBundle, signBundle } from '@modelbundle/core';
import { encode, Pairs, Raw } from './msgpack-writer.mjs';

const CREATED = '2026-01-01T00:00:00.000Z';
const MAGIC = [0x89, 0x4d, 0x42, 0x4e, 0x44, 0x0d, 0x0a, 0x1a];
const MAX_SAFE = Number.MAX_SAFE_INTEGER;
/** A fixed Ed25519 seed, so the signed vector (Ed25519 is deterministic) never changes. */
const SIGNING_SEED = Uint8Array.from({ length: 32 }, (_, i) => i + 1);

const sha256 = (bytes) => createHash('sha256').update(bytes).digest();
const hex = (bytes) => Buffer.from(bytes).toString('hex');
const align64 = (n) => Math.ceil(n / 64) * 64;
const text = (s) => new TextEncoder().encode(s);
const f32 = (values) => new Uint8Array(new Float32Array(values).buffer);
const bytesOf = (n, f = (i) => i & 0xff) => Uint8Array.from({ length: n }, (_, i) => f(i));

/** The header fields every vector starts from. */
function draft(extra = {}) {
  return {
    kind: 'vectors.linear',
    serializer: { version: '1.0.0' },
    producer: { name: 'modelbundle-vectors', version: '1.0.0' },
    created: CREATED,
    requires: {},
    metadata: {},
    ptype: null,
    summary: {},
    payload: {},
    ...extra,
  };
}

/** The honest section table for sections laid out one after another. */
function table(sections) {
  let end = 0;
  return sections.map(([name, data]) => {
    const offset = align64(end);
    end = offset + data.length;
    return { name, offset, length: data.length, sha256: hex(sha256(data)) };
  });
}

/**
 * A bundle's bytes, written from the spec alone. `header` is a value to encode
 * (its `format` and `sections` default to honest ones) or raw header bytes;
 * `prefix` overrides prefix fields; sections are laid out honestly.
 */
function assemble({ header, sections = [], prefix = {} }) {
  const headerBytes = header instanceof Uint8Array ? header : encode({ format: '1.0.0', sections: table(sections), ...header });
  const base = align64(128 + headerBytes.length);
  const offsets = [];
  let end = sections.length > 0 ? base : 128 + headerBytes.length;
  for (const [, data] of sections) {
    const start = align64(end);
    offsets.push(start);
    end = start + data.length;
  }
  const out = new Uint8Array(end);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  view.setUint16(8, prefix.major ?? 1, true);
  view.setUint16(10, prefix.minor ?? 0, true);
  view.setUint32(12, prefix.flags ?? 0, true);
  view.setBigUint64(16, BigInt(prefix.headerLength ?? headerBytes.length), true);
  view.setBigUint64(24, BigInt(prefix.fileLength ?? end), true);
  out.set(prefix.headerDigest ?? sha256(headerBytes), 32);
  if (prefix.signature) out.set(prefix.signature, 64);
  out.set(headerBytes, 128);
  for (const [i, [, data]] of sections.entries()) out.set(data, offsets[i]);
  return out;
}

/** A copy of `bytes` changed by `edit(copy, view)`. */
function mutate(bytes, edit) {
  const copy = bytes.slice();
  edit(copy, new DataView(copy.buffer));
  return copy;
}

/** Header values as JSON: binary as {"$hex": ...}, the same convention every reader's test uses. */
function toJson(value) {
  if (value instanceof Uint8Array) return { $hex: hex(value) };
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(toJson);
  if (value && typeof value === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toJson(v);
    return out;
  }
  return value;
}

const valid = [];
const invalid = [];

/** A canonical valid vector: written by @modelbundle/core, checked against the spec's own bytes. */
async function canonical(name, description, fields, sections = []) {
  const header = draft(fields);
  const bundle = await createBundle(header, sections);
  const bytes = encodeBundle(bundle);
  const fromSpec = assemble({ header, sections });
  if (Buffer.compare(Buffer.from(bytes), Buffer.from(fromSpec)) !== 0) {
    throw new Error(`Vector ${name}: @modelbundle/core wrote different bytes than docs/FORMAT.md prescribes (canonical encoding or layout drifted).`);
  }
  addValid(name, description, bytes, { format: '1.0.0', ...header, sections: table(sections) }, sections);
  return bytes;
}

function addValid(name, description, bytes, header, sections, extra = {}) {
  valid.push({
    name,
    bytes,
    expected: {
      description,
      valid: true,
      header: toJson(header),
      headerDigest: hex(bytes.subarray(32, 64)),
      fileLength: bytes.length,
      signed: (bytes[12] & 1) === 1,
      sections: sections.map(([n, data]) => ({ name: n, length: data.length, sha256: hex(sha256(data)) })),
      ...extra,
    },
  });
}

/** An invalid vector: the code a reader must raise, and the region named where the spec requires one. */
function bad(name, description, bytes, error, region, details) {
  invalid.push({ name, bytes, expected: { description, valid: false, error, ...(region ? { region } : {}), ...(details ? { details } : {}) } });
}

// --- Valid ---------------------------------------------------------------------------------

const weights = f32([0.5, -1]);
const biasBytes = f32([0.25]);
const example = [
  ['weights', weights],
  ['bias', biasBytes],
];

await canonical('empty', 'No sections: the file ends right after the header, with no padding.', {});
await canonical('one-section', 'One float32 section.', { payload: { dtype: 'float32', shape: [4] } }, [['weights', f32([1, 2, 3, 4])]]);
const exampleBytes = await canonical(
  'worked-example',
  'The worked example of docs/FORMAT.md section 13, with its producer.',
  {
    kind: 'example.linear',
    metadata: { name: 'demo' },
    summary: { params: 3 },
    payload: { units: 1 },
    producer: { name: '@modelbundle/core', version: '0.1.0' },
  },
  example,
);
await canonical('empty-section', 'A zero-length section between two others occupies no bytes.', {}, [
  ['a', bytesOf(3)],
  ['empty', new Uint8Array(0)],
  ['b', bytesOf(5)],
]);
await canonical('only-empty-section', 'One empty section: the file ends at the data region start.', {}, [['nothing', new Uint8Array(0)]]);
await canonical('exact-multiples', 'Sections whose lengths are multiples of 64 leave no padding between them.', {}, [
  ['a', bytesOf(64)],
  ['b', bytesOf(128, (i) => 255 - (i & 0xff))],
]);
await canonical(
  'many-sections',
  'Twenty sections of lengths 0 to 133, each 64-aligned.',
  {},
  Array.from({ length: 20 }, (_, i) => [`part/${String(i).padStart(2, '0')}`, bytesOf(i * 7, (j) => (i * 31 + j) & 0xff)]),
);
await canonical('section-names', 'Section names may use every allowed character: letters, digits and _ . : / -.', {}, [
  ['Model_1.weights:kernel/0-a', bytesOf(10)],
  ['z', bytesOf(1)],
]);
await canonical('integers', 'Integers at every encoding boundary, up to ±(2^53 − 1), and floats.', {
  metadata: {
    ints: [
      0,
      127,
      128,
      255,
      256,
      65535,
      65536,
      4294967295,
      4294967296,
      MAX_SAFE,
      -1,
      -32,
      -33,
      -128,
      -129,
      -32768,
      -32769,
      -2147483648,
      -2147483649,
      -MAX_SAFE,
    ],
    floats: [0.5, -1.25, 1e300, -2.5e-300, Math.PI],
    bools: [true, false],
    nothing: null,
  },
});
await canonical('unicode', 'Non-ASCII keys and values; keys sort by UTF-8 bytes (U+1F600 after U+FFFD).', {
  metadata: { é: 'café', '\u{1F600}': 'grin', '\uFFFD': 'replacement', z: 'ascii', 日本: '語' },
  summary: { description: 'Ünïcödé ✓' },
});
await canonical('binary-metadata', 'Binary values (MessagePack bin) are allowed in the header.', {
  metadata: { digest: bytesOf(32, (i) => i * 7), empty: new Uint8Array(0) },
});
await canonical('deepest-nesting', 'Maps nested to the limit of 32 levels (the header map is level 1).', {
  metadata: Array.from({ length: 29 }).reduce((inner) => ({ next: inner }), { leaf: [] }),
});
await canonical(
  'full-header',
  'Every optional field: serializer package and plugin, producer runtime, requires, a ptype, a summary and a payload.',
  {
    kind: 'vectors.linear-regression_v2',
    serializer: { version: '2.1.0-rc.1', package: '@example/linear', plugin: 'linearPlugin' },
    producer: { name: 'modelbundle-vectors', version: '1.0.0', runtime: 'node 20.19.0' },
    created: '2026-06-30T12:34:56.789012+05:30',
    requires: { '@example/linear': '^2.1.0-rc.1', '@tensorflow/tfjs-layers': '>=4.0.0 <5', other: '1.x || 2.0.0 - 2.3.4' },
    metadata: { owner: 'team-a', tags: ['linear', 'demo'] },
    ptype: { inputs: [{ name: 'x', dtype: 'float32' }], outputs: [{ name: 'y', dtype: 'float32' }] },
    summary: { parameters: 3, layers: 1 },
    payload: { features: ['x'], weights: 'weights' },
  },
  example,
);
{
  // A header that ends exactly on a 64-byte boundary leaves no padding before the data region.
  let fill = '';
  for (;;) {
    const header = { format: '1.0.0', ...draft({ metadata: { fill } }), sections: table([['data', bytesOf(5)]]) };
    if ((128 + encode(header).length) % 64 === 0) break;
    fill += 'x';
  }
  await canonical('header-ends-aligned', 'The header ends on a 64-byte boundary: no padding between it and the data region.', { metadata: { fill } }, [
    ['data', bytesOf(5)],
  ]);
}
await canonical(
  'at-the-limits',
  'Every bounded field exactly at its bound: kind 128, package 214, producer version 64, runtime 256, section name 256 characters.',
  {
    kind: `k${'.'.repeat(127)}`,
    serializer: { version: '1.0.0', package: 'p'.repeat(214), plugin: 'q'.repeat(214) },
    producer: { name: 'n'.repeat(214), version: '9'.repeat(64), runtime: 'r'.repeat(256) },
    requires: { ['r'.repeat(214)]: '*' },
  },
  [['s'.repeat(256), bytesOf(3)]],
);
await canonical('large-section', 'A 64 KiB section of float32 values.', { payload: { shape: [16384] } }, [
  ['values', f32(Array.from({ length: 16384 }, (_, i) => Math.sin(i)))],
]);
{
  // Signed with a fixed seed (Ed25519 signatures are deterministic). Readers that do not verify read it like any other.
  const header = draft({ metadata: { signed: true } });
  const signedBundle = await signBundle(await createBundle(header, example), SIGNING_SEED);
  const key = createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), SIGNING_SEED]), format: 'der', type: 'pkcs8' });
  const publicKey = Buffer.from(key.export({ format: 'jwk' }).x, 'base64url');
  addValid(
    'signed',
    'Signed with Ed25519 over the header digest (section 7); publicKey is the raw signing key.',
    encodeBundle(signedBundle),
    { format: '1.0.0', ...header, sections: table(example) },
    example,
    {
      publicKey: hex(publicKey),
    },
  );
}
{
  // Written from the spec alone: a newer minor with fields this version does not define (section 9).
  const header = {
    ...draft(),
    format: '1.7.0',
    future: { anything: [1, 2, 3] },
    serializer: { version: '1.0.0', futureField: true },
    producer: { name: 'modelbundle-vectors', version: '1.0.0', futureField: 'x' },
  };
  const sections = [['weights', weights]];
  const tableWithExtra = table(sections).map((s) => ({ ...s, compression: 'none' }));
  const full = { ...header, sections: tableWithExtra };
  addValid(
    'newer-minor',
    'Format 1.7.0 with header, serializer, producer and section fields unknown to 1.0: read, unknown fields kept.',
    assemble({ header: full, sections, prefix: { minor: 7 } }),
    full,
    sections,
  );
}
{
  const header = { ...draft(), format: '1.0.5' };
  addValid(
    'patch-version',
    'Format 1.0.5: the patch is not in the prefix and does not matter to readers.',
    assemble({ header, sections: [] }),
    { ...header, sections: [] },
    [],
  );
}
{
  // Readers accept any encoding of the allowed types (section 3.1): unsorted keys, wide lengths and integers, float32.
  const sections = [['weights', weights]];
  const [entry] = table(sections);
  const wideString = (s) => new Raw([0xda, 0x00, s.length, ...text(s)]);
  const header = new Pairs([
    [
      wideString('sections'),
      [
        new Pairs([
          ['sha256', entry.sha256],
          ['offset', new Raw([0xcf, 0, 0, 0, 0, 0, 0, 0, 0])],
          ['length', new Raw([0xcd, 0x00, 0x08])],
          ['name', new Raw([0xd9, 7, ...text('weights')])],
        ]),
      ],
    ],
    ['kind', 'vectors.linear'],
    ['format', '1.0.0'],
    ['serializer', new Raw([0xde, 0x00, 0x01, 0xa7, ...text('version'), 0xa5, ...text('1.0.0')])],
    ['producer', { name: 'modelbundle-vectors', version: '1.0.0' }],
    ['created', CREATED],
    ['requires', {}],
    [
      'metadata',
      new Pairs([
        ['half', new Raw([0xca, 0x3f, 0x00, 0x00, 0x00])],
        ['five', new Raw([0xd3, 0, 0, 0, 0, 0, 0, 0, 5])],
      ]),
    ],
    ['ptype', null],
    ['summary', new Raw([0xdf, 0, 0, 0, 0])],
    ['payload', new Raw([0xde, 0x00, 0x00])],
  ]);
  const expected = { ...draft(), format: '1.0.0', metadata: { half: 0.5, five: 5 }, sections: [entry] };
  addValid(
    'non-canonical-encoding',
    'Unsorted keys, wide lengths, uint64, int64 and float32 encodings: readers accept them (only writers must be canonical).',
    assemble({ header: encode(header), sections }),
    expected,
    sections,
  );
}

// --- Invalid: prefix -----------------------------------------------------------------------

const base = exampleBytes;
const headerLength = new DataView(base.buffer).getUint32(16, true);
const dataStart = align64(128 + headerLength);
const setU64 = (offset, value) => (_b, v) => v.setBigUint64(offset, BigInt(value), true);

bad('empty-file', 'Zero bytes.', new Uint8Array(0), 'NOT_A_BUNDLE');
bad('png-file', 'A PNG signature instead of the magic.', Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13), 'NOT_A_BUNDLE');
bad(
  'text-mode-damage',
  'The bundle after a text-mode transfer turned \\r\\n into \\n.',
  Uint8Array.from([...MAGIC.slice(0, 5), 0x0a, 0x1a, ...base.subarray(8, 200)]),
  'NOT_A_BUNDLE',
);
bad('magic-only', 'The first 5 bytes of the magic and nothing else.', Uint8Array.from(MAGIC.slice(0, 5)), 'TRUNCATED');
bad('prefix-cut', 'Cut off after 100 bytes, inside the prefix.', base.slice(0, 100), 'TRUNCATED');
bad(
  'major-2-version-only',
  'Format 2.0 in 12 bytes: refused for its version before its length.',
  mutate(base.slice(0, 12), (_b, v) => v.setUint16(8, 2, true)),
  'UNSUPPORTED_FORMAT',
  undefined,
  { upgradeTo: '2.0.0' },
);
bad(
  'major-2',
  'A whole bundle whose prefix says format 2.0.',
  mutate(base, (_b, v) => v.setUint16(8, 2, true)),
  'UNSUPPORTED_FORMAT',
  undefined,
  { upgradeTo: '2.0.0' },
);
bad(
  'major-0',
  'Format 0.9 (never released).',
  mutate(base, (_b, v) => {
    v.setUint16(8, 0, true);
    v.setUint16(10, 9, true);
  }),
  'UNSUPPORTED_FORMAT',
);
bad(
  'unknown-flag',
  'Flag bit 1 is set; only bit 0 is defined.',
  mutate(base, (_b, v) => v.setUint32(12, 2, true)),
  'MALFORMED',
);
bad('header-length-over-2-53', 'headerLength is 2^53.', mutate(base, setU64(16, 2 ** 53)), 'LIMIT_EXCEEDED');
bad('file-length-over-2-53', 'fileLength is 2^64 − 1.', mutate(base, setU64(24, 2n ** 64n - 1n)), 'LIMIT_EXCEEDED');
bad('header-length-over-16-mib', 'headerLength is 16 MiB + 1.', mutate(base, setU64(16, 16 * 1024 * 1024 + 1)), 'LIMIT_EXCEEDED');
bad('header-length-zero', 'headerLength is 0.', mutate(base, setU64(16, 0)), 'MALFORMED');
bad('header-past-file-length', 'The header would end after fileLength.', mutate(base, setU64(16, base.length)), 'MALFORMED');
bad('file-cut', 'The last 3 bytes are missing.', base.slice(0, base.length - 3), 'TRUNCATED');
bad('trailing-bytes', 'Two bytes follow the last section.', Uint8Array.from([...base, 0, 0]), 'TRUNCATED');
bad('file-length-lies', 'fileLength is one byte short of the real size.', mutate(base, setU64(24, base.length - 1)), 'TRUNCATED');
bad(
  'unsigned-slot-not-zero',
  'The signature slot holds bytes but the signed flag is clear.',
  mutate(base, (b) => {
    b[100] = 1;
  }),
  'CORRUPT',
);
bad(
  'signed-slot-empty',
  'The signed flag is set but the signature slot is all zero.',
  mutate(base, (_b, v) => v.setUint32(12, 1, true)),
  'CORRUPT',
);

// --- Invalid: header bytes -----------------------------------------------------------------

bad(
  'header-digest-mismatch',
  'One header byte changed after the digest was taken.',
  mutate(base, (b) => {
    b[128 + 40] ^= 0x01;
  }),
  'CORRUPT',
  'header',
);
bad(
  'header-digest-damaged',
  'The header digest in the prefix is damaged.',
  mutate(base, (b) => {
    b[32] ^= 0xff;
  }),
  'CORRUPT',
  'header',
);

/** A forged header: the spec's layout around header bytes that break a rule. */
const forged = (name, description, headerValue, error, sections = []) =>
  bad(name, description, assemble({ header: headerValue instanceof Uint8Array ? headerValue : encode(headerValue), sections }), error);
const honest = (extra = {}, sections = []) => ({ format: '1.0.0', ...draft(), sections: table(sections), ...extra });
const withRaw = (key, raw) => new Pairs(Object.entries(honest()).map(([k, v]) => [k, k === key ? new Raw(raw) : v]));

forged('header-is-array', 'The header is an array, not a map.', [1, 2, 3], 'MALFORMED');
forged('extension-type', 'A timestamp extension (0xd6 −1) in metadata.', withRaw('metadata', [0x81, 0xa1, 0x74, 0xd6, 0xff, 0, 0, 0, 0]), 'MALFORMED');
forged('never-used-byte', 'The never-used type byte 0xc1 in metadata.', withRaw('metadata', [0x81, 0xa1, 0x74, 0xc1]), 'MALFORMED');
forged('integer-key', 'A map key that is an integer.', withRaw('metadata', [0x81, 0x01, 0x02]), 'MALFORMED');
forged('duplicate-key', 'The top-level key "kind" appears twice.', new Pairs([...Object.entries(honest()), ['kind', 'vectors.other']]), 'MALFORMED');
forged('proto-key', 'A "__proto__" key in metadata.', withRaw('metadata', [0x81, 0xa9, ...text('__proto__'), 0x80]), 'MALFORMED');
forged('invalid-utf8', 'A string that is not UTF-8 (a lone continuation byte).', withRaw('summary', [0x81, 0xa1, 0x61, 0xa2, 0x61, 0x80]), 'MALFORMED');
forged(
  'encoded-surrogate',
  'A string holding an encoded UTF-16 surrogate (ed a0 80).',
  withRaw('summary', [0x81, 0xa1, 0x61, 0xa3, 0xed, 0xa0, 0x80]),
  'MALFORMED',
);
forged('value-after-header', 'A second MessagePack value follows the header map.', Uint8Array.from([...encode(honest()), 0xc0]), 'MALFORMED');
forged('string-past-end', 'A str 8 declares 200 bytes where 5 remain.', Uint8Array.from([...encode(honest()).slice(0, -1), 0xd9, 200, 1, 2, 3]), 'MALFORMED');
forged('count-lie', 'An array 32 declares 4 294 967 295 items.', withRaw('metadata', [0x81, 0xa1, 0x61, 0xdd, 0xff, 0xff, 0xff, 0xff, 0xc0]), 'MALFORMED');
forged(
  'nesting-33',
  'Maps nested 33 levels deep (limit 32).',
  honest({ metadata: Array.from({ length: 31 }).reduce((inner) => ({ next: inner }), {}) }),
  'LIMIT_EXCEEDED',
);
forged(
  'string-over-1-mib',
  'A str 32 declares 1 MiB + 1 bytes (refused before reading it).',
  withRaw('summary', [0x81, 0xa1, 0x61, 0xdb, 0x00, 0x10, 0x00, 0x01, 0x41]),
  'LIMIT_EXCEEDED',
);
forged(
  'too-many-entries',
  'A metadata array of 1 000 001 nils (limit: 1 000 000 entries in the whole header).',
  withRaw('metadata', [0x81, 0xa1, 0x61, 0xdd, ...[0x00, 0x0f, 0x42, 0x41], ...new Uint8Array(1_000_001).fill(0xc0)]),
  'LIMIT_EXCEEDED',
);

// --- Invalid: header fields ------------------------------------------------------------------

const without = (key) => Object.fromEntries(Object.entries(honest()).filter(([k]) => k !== key));
forged('missing-format', 'The header has no "format".', without('format'), 'MALFORMED');
forged('missing-ptype', 'The header has no "ptype" (write nil rather than omit it).', without('ptype'), 'MALFORMED');
forged('missing-serializer-version', 'serializer has no "version".', honest({ serializer: { package: '@example/linear' } }), 'MALFORMED');
forged('format-not-semver', 'format is "1.0".', honest({ format: '1.0' }), 'MALFORMED');
forged('format-disagrees-with-prefix', 'format is 1.1.0 but the prefix says 1.0.', honest({ format: '1.1.0' }), 'MALFORMED');
forged('kind-upper-case', 'kind has upper-case letters.', honest({ kind: 'Vectors.Linear' }), 'MALFORMED');
forged('kind-too-long', 'kind has 129 characters (limit 128).', honest({ kind: 'k'.repeat(129) }), 'LIMIT_EXCEEDED');
forged('serializer-version-prefixed', 'serializer.version is "v1.0.0".', honest({ serializer: { version: 'v1.0.0' } }), 'MALFORMED');
forged(
  'producer-version-too-long',
  'producer.version has 65 characters (limit 64).',
  honest({ producer: { name: 'x', version: '1'.repeat(65) } }),
  'LIMIT_EXCEEDED',
);
forged('created-impossible-date', 'created is February 30th.', honest({ created: '2026-02-30T00:00:00Z' }), 'MALFORMED');
forged('created-without-offset', 'created has no Z or offset.', honest({ created: '2026-01-01T00:00:00' }), 'MALFORMED');
forged('requires-not-a-range', 'A requires value that is not a semver range.', honest({ requires: { '@example/linear': 'latest' } }), 'MALFORMED');
forged(
  'requires-range-too-long',
  'A requires range of 257 characters (limit 256).',
  honest({ requires: { '@example/linear': `>=1.0.0 ${'<2 '.repeat(83)}`.slice(0, 257) } }),
  'LIMIT_EXCEEDED',
);
forged(
  'requires-too-many',
  'requires lists 257 packages (limit 256).',
  honest({ requires: Object.fromEntries(Array.from({ length: 257 }, (_, i) => [`pkg-${i}`, '^1.0.0'])) }),
  'LIMIT_EXCEEDED',
);
forged('requires-not-a-string', 'A requires value that is a number.', honest({ requires: { '@example/linear': 1 } }), 'MALFORMED');
forged('metadata-is-array', 'metadata is an array.', honest({ metadata: ['a'] }), 'MALFORMED');
forged(
  'metadata-over-1-mib',
  'metadata holds two strings of 600 000 bytes (limit 1 MiB encoded).',
  honest({ metadata: { a: 'a'.repeat(600_000), b: 'b'.repeat(600_000) } }),
  'LIMIT_EXCEEDED',
);
forged('requires-empty-name', 'A requires entry whose package name is empty.', honest({ requires: { '': '^1.0.0' } }), 'MALFORMED');
forged('serializer-package-empty', 'serializer.package is an empty string.', honest({ serializer: { version: '1.0.0', package: '' } }), 'MALFORMED');
forged('producer-runtime-not-string', 'producer.runtime is a number.', honest({ producer: { name: 'x', version: '1', runtime: 20 } }), 'MALFORMED');
forged('binary-map-key', 'A map key that is binary, not a string.', withRaw('metadata', [0x81, 0xc4, 0x01, 0x61, 0x01]), 'MALFORMED');
forged('created-leap-second', 'created is 23:59:60.', honest({ created: '2026-06-30T23:59:60Z' }), 'MALFORMED');
forged('sections-is-map', 'sections is a map, not an array.', honest({ sections: {} }), 'MALFORMED');

// --- Invalid: section table --------------------------------------------------------------------

const zeroDigest = (length) => (typeof length === 'number' && length < 1024 ? hex(sha256(new Uint8Array(length))) : '0'.repeat(64));
const entry = (name, offset, length, digest = zeroDigest(length)) => ({ name, offset, length, sha256: digest });
const tableVector = (name, description, sectionTable, sections, error) => {
  bad(name, description, assemble({ header: encode(honest({ sections: sectionTable })), sections }), error);
};
const two = [
  ['a', new Uint8Array(8)],
  ['b', new Uint8Array(4)],
];
tableVector('section-name-space', 'A section name with a space.', [entry('bad name', 0, 8)], [two[0]], 'MALFORMED');
tableVector('section-name-too-long', 'A section name of 257 characters (limit 256).', [entry('n'.repeat(257), 0, 8)], [two[0]], 'LIMIT_EXCEEDED');
tableVector(
  'section-digest-upper-case',
  'A section sha256 in upper-case hex.',
  [{ ...entry('a', 0, 8), sha256: hex(sha256(new Uint8Array(8))).toUpperCase() }],
  [two[0]],
  'MALFORMED',
);
tableVector('section-offset-negative', 'A negative section offset.', [entry('a', -64, 8)], [two[0]], 'MALFORMED');
tableVector('section-offset-fraction', 'A section offset of 0.5.', [entry('a', 0.5, 8)], [two[0]], 'MALFORMED');
tableVector('section-length-over-2-53', 'A section length of 2^53 (int 64).', [entry('a', 0, 2n ** 53n)], [two[0]], 'LIMIT_EXCEEDED');
tableVector(
  'section-length-runs-past-2-53',
  'A section length below 2^53 whose end is beyond 2^53 − 1.',
  [entry('a', 0, MAX_SAFE - 100)],
  [two[0]],
  'MALFORMED',
);
tableVector('section-missing-digest', 'A section entry without sha256.', [{ name: 'a', offset: 0, length: 8 }], [two[0]], 'MALFORMED');
tableVector('section-duplicate-name', 'Two sections named "a".', [entry('a', 0, 8), entry('a', 64, 4)], two, 'MALFORMED');
tableVector('section-first-offset-not-zero', 'The first section starts at data offset 64.', [entry('a', 64, 8)], [two[0]], 'MALFORMED');
tableVector(
  'section-misaligned',
  'The second section starts at data offset 8, right after the first (not 64-aligned).',
  [entry('a', 0, 8), entry('b', 8, 4)],
  two,
  'MALFORMED',
);
tableVector('section-gap', 'The second section starts at 128, leaving a 64-byte hole.', [entry('a', 0, 8), entry('b', 128, 4)], two, 'MALFORMED');
tableVector('section-overlap', 'The second section starts at 0, overlapping the first.', [entry('a', 0, 8), entry('b', 0, 4)], two, 'MALFORMED');
tableVector(
  'section-table-short',
  'The table lists only the first of two sections; the file is longer than the table covers.',
  [entry('a', 0, 8)],
  two,
  'MALFORMED',
);
tableVector('section-length-lies', 'A section length longer than the file holds.', [entry('a', 0, 8), entry('b', 64, 40)], two, 'MALFORMED');

// --- Invalid: padding and digests --------------------------------------------------------------

bad(
  'header-padding-not-zero',
  'A non-zero byte in the padding between header and data region.',
  mutate(base, (b) => {
    b[dataStart - 1] = 0x5a;
  }),
  'CORRUPT',
  'padding:header',
);
bad(
  'section-padding-not-zero',
  'A non-zero byte in the padding before the second section.',
  mutate(base, (b) => {
    b[dataStart + 20] = 0x01;
  }),
  'CORRUPT',
  'padding:section:bias',
);
bad(
  'section-digest-first',
  'One byte of the first section changed.',
  mutate(base, (b) => {
    b[dataStart] ^= 0x80;
  }),
  'CORRUPT',
  'section:weights',
);
bad(
  'section-digest-second',
  'The last byte of the second section changed.',
  mutate(base, (b) => {
    b[b.length - 1] ^= 0x01;
  }),
  'CORRUPT',
  'section:bias',
);
bad(
  'section-digest-wrong-in-table',
  'The table records another section\u2019s digest (header digest updated to match).',
  assemble({
    header: honest({ sections: [entry('a', 0, 8), { ...entry('b', 64, 4), sha256: hex(sha256(new Uint8Array(8))) }] }),
    sections: two,
  }),
  'CORRUPT',
  'section:b',
);

// --- Write -----------------------------------------------------------------------------------

const here = dirname(fileURLToPath(import.meta.url));
const outDir = resolve(process.argv[2] ?? here);
for (const [folder, vectors] of [
  ['valid', valid],
  ['invalid', invalid],
]) {
  const dir = join(outDir, folder);
  mkdirSync(dir, { recursive: true });
  for (const file of readdirSync(dir)) if (/\.(mbnd|json)$/.test(file)) rmSync(join(dir, file));
  for (const v of vectors) {
    writeFileSync(join(dir, `${v.name}.mbnd`), v.bytes);
    writeFileSync(join(dir, `${v.name}.json`), `${JSON.stringify(v.expected, null, 2)}\n`);
  }
}
console.log(`wrote ${valid.length} valid and ${invalid.length} invalid vectors to ${outDir}`);
