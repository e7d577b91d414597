import { decodeBundle, inspect, ModelBundleError } from '@modelbundle/core';
import { describe, expect, it } from 'vitest';
import { installAllocationGuard, measureAllocation } from '../fuzz/alloc-guard.js';
import { linearBundle, linearRegistry } from './support/fixtures.js';
import { forgeBundle, sectionTable } from './support/forge.js';
import { MapEntries, RawBytes } from './support/msgpack.js';

const base = {
  created: '2026-01-01T00:00:00.000Z',
  format: '1.0.0',
  kind: 'test.linear',
  metadata: {},
  payload: { bias: 0, dtype: 'float32', features: ['a', 'b', 'c'], shape: [3] },
  producer: { name: 'attack', version: '1.0.0' },
  ptype: null,
  requires: {},
  sections: [] as unknown[],
  serializer: { version: '1.0.0' },
  summary: {},
};
const weights = new Uint8Array(12);
const table = sectionTable([['weights', weights]]);

function withHeader(changes: Record<string, unknown>, sections: Uint8Array[] = [weights]): Uint8Array {
  return forgeBundle({ ...base, sections: table, ...changes }, sections);
}

function nested(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

function appended(bytes: Uint8Array, extra: number): Uint8Array {
  const out = new Uint8Array(bytes.length + extra);
  out.set(bytes);
  return out;
}

/** Hostile bundles, each aimed at one rule; all get a correct header digest so they reach the rule. */
const ATTACKS: { name: string; bytes: () => Uint8Array; code: string; message: RegExp }[] = [
  {
    name: 'extension type (fixext)',
    bytes: () => withHeader({ metadata: { x: new RawBytes(Uint8Array.of(0xd4, 1, 0)) } }),
    code: 'MALFORMED',
    message: /extension type/,
  },
  {
    name: 'timestamp extension (would decode to a Date)',
    bytes: () => withHeader({ created: new RawBytes(Uint8Array.of(0xd6, 0xff, 0, 0, 0, 0)) }),
    code: 'MALFORMED',
    message: /extension type/,
  },
  {
    name: '__proto__ key',
    bytes: () => withHeader({ metadata: new MapEntries([['__proto__', { admin: true }]]) }),
    code: 'MALFORMED',
    message: /"__proto__" is not allowed/,
  },
  {
    name: 'constructor key',
    bytes: () => withHeader({ payload: new MapEntries([['constructor', { prototype: 1 }]]) }),
    code: 'MALFORMED',
    message: /"constructor" is not allowed/,
  },
  { name: 'prototype key', bytes: () => withHeader({ summary: new MapEntries([['prototype', 1]]) }), code: 'MALFORMED', message: /"prototype" is not allowed/ },
  {
    name: 'duplicate top-level key (parser differential)',
    bytes: () => forgeBundle(new MapEntries([...Object.entries({ ...base, sections: table }), ['sections', []]]), [weights]),
    code: 'MALFORMED',
    message: /appears twice/,
  },
  { name: 'non-string map key', bytes: () => withHeader({ metadata: new MapEntries([[1, 'one']]) }), code: 'MALFORMED', message: /map keys must be strings/ },
  { name: 'never-used type byte 0xc1', bytes: () => withHeader({ metadata: { x: new RawBytes(Uint8Array.of(0xc1)) } }), code: 'MALFORMED', message: /0xc1/ },
  {
    name: 'invalid UTF-8 string',
    bytes: () => withHeader({ kind: new RawBytes(Uint8Array.of(0xa2, 0xff, 0xfe)) }),
    code: 'MALFORMED',
    message: /not valid UTF-8/,
  },
  { name: 'nesting 40 deep', bytes: () => withHeader({ metadata: { deep: nested(40) } }), code: 'LIMIT_EXCEEDED', message: /nested deeper than 32/ },
  {
    name: 'array claiming 4 billion items',
    bytes: () => withHeader({ metadata: { x: new RawBytes(Uint8Array.of(0xdd, 0xff, 0xff, 0xff, 0xff)) } }),
    code: 'MALFORMED',
    message: /declares 4294967295 entries but only \d+ bytes remain/,
  },
  {
    name: 'string claiming 2 GiB',
    bytes: () => withHeader({ metadata: { x: new RawBytes(Uint8Array.of(0xdb, 0x7f, 0xff, 0xff, 0xff)) } }),
    code: 'LIMIT_EXCEEDED',
    message: /over the limit/,
  },
  {
    name: 'string over 1 MiB',
    bytes: () => withHeader({ summary: { s: 'x'.repeat((1 << 20) + 1) } }),
    code: 'LIMIT_EXCEEDED',
    message: /over the limit of 1048576/,
  },
  {
    name: 'metadata over 1 MiB',
    bytes: () => withHeader({ metadata: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, 'x'.repeat(60_000)])) }),
    code: 'LIMIT_EXCEEDED',
    message: /metadata/,
  },
  {
    name: 'bytes after the header value',
    bytes: () => forgeBundle(Uint8Array.from([...forgeHeader(), 0xc0]), [weights]),
    code: 'MALFORMED',
    message: /follow the header's single value/,
  },
  {
    name: 'header length over 16 MiB',
    bytes: () => forgeBundle({ ...base, sections: table }, [weights], { headerLength: 2n ** 24n + 1n }),
    code: 'LIMIT_EXCEEDED',
    message: /over the limit/,
  },
  {
    name: 'file length 2^64 - 1',
    bytes: () => forgeBundle({ ...base, sections: table }, [weights], { fileLength: 2n ** 64n - 1n }),
    code: 'LIMIT_EXCEEDED',
    message: /beyond 2\^53/,
  },
  {
    name: 'overlapping sections',
    bytes: () => withHeader({ sections: [table[0], { ...table[0], name: 'again', offset: 0 }] }),
    code: 'MALFORMED',
    message: /expected 64/,
  },
  {
    name: 'hole between sections',
    bytes: () => withHeader({ sections: [{ ...table[0], offset: 64 }] }),
    code: 'MALFORMED',
    message: /starts at data offset 64, expected 0/,
  },
  {
    name: 'misaligned section',
    bytes: () => withHeader({ sections: [table[0], { ...table[0], name: 'b', offset: 12 }] }),
    code: 'MALFORMED',
    message: /expected 64/,
  },
  {
    name: 'section length 2^53 - 1',
    bytes: () => withHeader({ sections: [{ ...table[0], length: 2 ** 53 - 1 }] }),
    code: 'MALFORMED',
    message: /runs past any possible file end/,
  },
  {
    name: 'section offset uint64 max',
    bytes: () => withHeader({ sections: [{ ...table[0], offset: 2n ** 64n - 1n }] }),
    code: 'LIMIT_EXCEEDED',
    message: /sections\.0\.offset/,
  },
  { name: 'negative section length', bytes: () => withHeader({ sections: [{ ...table[0], length: -12 }] }), code: 'MALFORMED', message: /sections\.0\.length/ },
  {
    name: 'fractional section offset',
    bytes: () => withHeader({ sections: [{ ...table[0], offset: 0.5 }] }),
    code: 'MALFORMED',
    message: /sections\.0\.offset/,
  },
  {
    name: 'duplicate section names',
    bytes: () =>
      withHeader(
        {
          sections: sectionTable([
            ['w', weights],
            ['w', weights],
          ]),
        },
        [weights, weights],
      ),
    code: 'MALFORMED',
    message: /appears twice/,
  },
  { name: '65,537 sections', bytes: () => withHeader({ sections: Array.from({ length: 65_537 }, () => 0) }), code: 'LIMIT_EXCEEDED', message: /sections/ },
  {
    name: 'a 800 kB requires range (seconds of semver parsing)',
    bytes: () => withHeader({ requires: { pkg: '>=1.0.0 '.repeat(100_000) } }),
    code: 'LIMIT_EXCEEDED',
    message: /requires\.pkg/,
  },
  {
    name: '1,000 requires entries',
    bytes: () => withHeader({ requires: Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`p${i}`, '^1.0.0'])) }),
    code: 'LIMIT_EXCEEDED',
    message: /lists 1000 packages, over the limit of 256/,
  },
  { name: 'trailing bytes after the last section', bytes: () => appended(withHeader({}), 64), code: 'TRUNCATED', message: /after its end/ },
  { name: 'file cut inside a section', bytes: () => withHeader({}).slice(0, -3), code: 'TRUNCATED', message: /truncated/ },
  {
    name: 'newer format major',
    bytes: () => forgeBundle({ ...base, format: '2.0.0', sections: table }, [weights], { formatMajor: 2 }),
    code: 'UNSUPPORTED_FORMAT',
    message: /To read it, upgrade @modelbundle\/core to a release that reads format 2\.x/,
  },
  { name: 'header format disagrees with the prefix', bytes: () => withHeader({ format: '1.3.0' }), code: 'MALFORMED', message: /disagrees with the prefix/ },
];

function forgeHeader(): Uint8Array {
  const bytes = withHeader({});
  const length = new DataView(bytes.buffer).getUint32(16, true);
  return bytes.slice(128, 128 + length);
}

describe('hostile bundles are refused with a typed error, without outsized allocation', () => {
  installAllocationGuard();

  it.each(ATTACKS)('$name → $code', async ({ bytes, code, message }) => {
    const input = bytes();
    const started = performance.now();
    const { largest, result } = await measureAllocation(() => decodeBundle(input));
    expect(performance.now() - started).toBeLessThan(1000);
    expect(result.status).toBe('rejected');
    const error = (result as PromiseRejectedResult).reason;
    expect(error).toBeInstanceOf(ModelBundleError);
    expect(error.code, error.message).toBe(code);
    expect(error.message).toMatch(message);
    expect(largest).toBeLessThanOrEqual(input.length + (1 << 20));
    await expect(linearRegistry().unbundle(input)).rejects.toBeInstanceOf(ModelBundleError);
  });

  it('keeps unknown fields from a newer minor and reads the bundle', async () => {
    const bytes = forgeBundle({ ...base, format: '1.4.0', sections: table, annotations: { added: 'in 1.4' } }, [weights], { formatMinor: 4 });
    const bundle = await decodeBundle(bytes);
    expect(bundle.header.annotations).toEqual({ added: 'in 1.4' });
    expect((await inspect(bytes)).header.format).toBe('1.4.0');
    await expect(linearRegistry().unbundle(bytes)).resolves.toBeDefined();
  });

  it('a payload whose shape lies about its section is refused by the serializer before it allocates', async () => {
    const { bytes } = await linearBundle(3);
    const { takeApart } = await import('./support/forge.js');
    const { header, sections } = await takeApart(bytes);
    header.payload = { ...header.payload, shape: [1_000_000_000], features: Array.from({ length: 3 }, (_, i) => `x${i}`) };
    const lying = forgeBundle(header, sections);
    const { largest, result } = await measureAllocation(() => linearRegistry().unbundle(lying));
    expect(result.status).toBe('rejected');
    expect((result as PromiseRejectedResult).reason).toMatchObject({
      code: 'MALFORMED',
      message: expect.stringMatching(/weights must be 1000000000 float32 values/),
    });
    expect(largest).toBeLessThan(1 << 20);
  });
});
