import { createBundle, decodeBundle, encodeBundle, type HeaderDraft, inspect, ModelBundleError } from '@modelbundle/core';
import { draft } from '@modelbundle/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { forgeBundle } from '../security/support/forge.js';

const RUNS = 150;

async function typedOrSuccess(work: () => Promise<unknown>): Promise<'ok' | string> {
  try {
    await work();
    return 'ok';
  } catch (e) {
    if (e instanceof ModelBundleError) return e.code;
    throw e;
  }
}

const sectionName = fc.stringMatching(/^[A-Za-z0-9_.:/-]{1,20}$/);
const sections = fc.uniqueArray(fc.tuple(sectionName, fc.uint8Array({ maxLength: 300 })), { maxLength: 5, selector: ([name]) => name });
const plainValue = fc.jsonValue({ maxDepth: 4 }).filter((v) => !JSON.stringify(v).includes('"__proto__"'));
const metadata = fc.dictionary(
  fc.string({ maxLength: 12 }).filter((k) => !['__proto__', 'constructor', 'prototype'].includes(k)),
  plainValue,
  { maxKeys: 6 },
);

/** The kit's header draft with `meta` as metadata. */
function withMetadata(meta: Record<string, unknown>): HeaderDraft {
  return draft({ kind: 'prop.test', metadata: meta });
}

describe('properties (fast-check)', () => {
  it('any header metadata and sections round-trip byte for byte', async () => {
    await fc.assert(
      fc.asyncProperty(metadata, sections, async (meta, parts) => {
        const bundle = await createBundle(withMetadata(JSON.parse(JSON.stringify(meta)) as Record<string, unknown>), parts);
        const bytes = encodeBundle(bundle);
        const decoded = await decodeBundle(bytes);
        expect(decoded.header).toEqual(bundle.header);
        expect([...decoded.sections.keys()]).toEqual(parts.map(([name]) => name));
        for (const [name, data] of parts) expect(decoded.sections.get(name)).toEqual(data);
        expect(encodeBundle(decoded)).toEqual(bytes);
        expect((await inspect(bytes.subarray(0, 128 + bundle.headerBytes.length))).header).toEqual(bundle.header);
      }),
      { numRuns: RUNS, seed: 1 },
    );
  });

  it('arbitrary bytes, with or without the magic, give a success or a ModelBundleError', async () => {
    const magic = Uint8Array.of(0x89, 0x4d, 0x42, 0x4e, 0x44, 0x0d, 0x0a, 0x1a, 1, 0);
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 600 }), fc.boolean(), async (tail, withMagic) => {
        const bytes = withMagic ? Uint8Array.from([...magic, ...tail]) : tail;
        expect(await typedOrSuccess(() => decodeBundle(bytes))).not.toBe('ok');
        await typedOrSuccess(() => inspect(bytes));
      }),
      { numRuns: RUNS, seed: 2 },
    );
  });

  it('any MessagePack-encodable header behind a correct digest gives a success or a ModelBundleError, and a success re-encodes exactly', async () => {
    const anyHeader = fc.oneof(
      fc.anything({ maxDepth: 5, withBigInt: true, withTypedArray: false, withNullPrototype: false, withMap: false, withSet: false, withDate: false }),
      fc.record({
        format: fc.constantFrom('1.0.0', '1.2.0', '1.0.0-x', '2.0.0'),
        kind: fc.string(),
        sections: fc.array(fc.anything({ maxDepth: 2 }), { maxLength: 3 }),
      }),
    );
    await fc.assert(
      fc.asyncProperty(anyHeader, async (header) => {
        let bytes: Uint8Array;
        try {
          bytes = forgeBundle(header, []);
        } catch {
          return; // a value the forging writer cannot encode (a symbol, a function)
        }
        const outcome = await typedOrSuccess(async () => {
          const decoded = await decodeBundle(bytes);
          expect(encodeBundle(decoded)).toEqual(bytes);
        });
        expect(typeof outcome).toBe('string');
      }),
      { numRuns: RUNS, seed: 3 },
    );
  });

  it('overwriting any byte of a valid bundle with any other value is detected', async () => {
    const bytes = encodeBundle(await createBundle(withMetadata({ a: 1 }), [['w', Uint8Array.of(1, 2, 3, 4, 5, 6, 7)]]));
    await fc.assert(
      fc.asyncProperty(fc.nat(bytes.length - 1), fc.integer({ min: 1, max: 255 }), async (at, delta) => {
        const damaged = bytes.slice();
        damaged[at] = ((damaged[at] as number) + delta) & 0xff;
        expect(await typedOrSuccess(() => decodeBundle(damaged))).not.toBe('ok');
      }),
      { numRuns: RUNS * 2, seed: 4 },
    );
  });
});
