import { join } from 'node:path';
import {
  bundleWith,
  CLOCK,
  chooseSerializer,
  createBundle,
  createRegistry,
  DIGEST,
  type Digest,
  decodeBundle,
  draftHeader,
  encodeBundle,
  generateKeyPair,
  migrateParts,
  openBundle,
  PACKAGE_LOCATOR,
  type PackageLocator,
  PLUGIN_LOADER,
  type PluginLoader,
  type Serializer,
  type SerializerContext,
  signBundle,
  unbundle,
  verifySignature,
} from '@modelbundle/core';
import { sha256 } from '@modelbundle/core/format';
import { readBundle, writeBundle } from '@modelbundle/core/node';
import { expectCode } from '@modelbundle/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pattern, tempDir } from './helpers.js';

/** A serializer for `{ values }` that records the context each hook got. */
function numbersSerializer(kind = 'test.numbers'): Serializer<{ values: Uint8Array }> & { contexts: SerializerContext[] } {
  const contexts: SerializerContext[] = [];
  return {
    contexts,
    kind,
    package: '@fixture/numbers',
    version: '1.2.0',
    reads: '^1.0.0',
    canBundle: (value) => typeof value === 'object' && value !== null && (value as { values?: unknown }).values instanceof Uint8Array,
    bundle: (value, context) => {
      contexts.push(context);
      return {
        payload: { n: value.values.length },
        sections: [['values', value.values]],
        summary: { n: value.values.length },
        requires: { '@fixture/needed': '^2.0.0' },
      };
    },
    unbundle: (parts, context) => {
      contexts.push(context);
      return { values: parts.sections.get('values') as Uint8Array };
    },
  };
}

const value = { values: pattern(300) };
const created = '2026-03-04T05:06:07.000Z';

describe('bundle and unbundle are compositions of exported steps', () => {
  it('chooseSerializer + draftHeader + createBundle give the bytes Registry.bundle gives', async () => {
    const serializer = numbersSerializer();
    const other = numbersSerializer('test.other');
    const registry = createRegistry({ autoload: false }).register(other).register(serializer);
    expect(chooseSerializer(registry.list(), value)).toBe(other);
    expect(chooseSerializer(registry.list(), value, 'test.numbers')).toBe(serializer);
    await expectCode(() => chooseSerializer(registry.list(), 'text'), 'NO_SERIALIZER');
    await expectCode(() => chooseSerializer(registry.list(), value, 'test.none'), 'NO_SERIALIZER', 'test.other, test.numbers');
    const parts = await serializer.bundle(value, { options: {} });
    const byHand = encodeBundle(await createBundle(draftHeader(serializer, parts, { created, metadata: { a: 1 } }), parts.sections));
    const byRegistry = encodeBundle(await registry.bundle(value, { kind: 'test.numbers', created, metadata: { a: 1 } }));
    const byBundleWith = encodeBundle(await bundleWith(serializer, value, { created, metadata: { a: 1 } }));
    expect(byRegistry).toEqual(byHand);
    expect(byBundleWith).toEqual(byHand);
  });

  it('openBundle runs decode, trust, find, migrate and requirements; the serializer then restores from its parts', async () => {
    const serializer = numbersSerializer();
    const bytes = encodeBundle(await bundleWith(serializer, value, { created }));
    const opened = await openBundle(bytes, () => serializer, { runtime: { '@fixture/needed': '2.1.0' }, requirements: 'strict' });
    expect(opened.serializer).toBe(serializer);
    expect(opened.bundle.verified).toBe(true);
    expect(opened.parts.version).toBe('1.2.0');
    expect(opened.parts.payload).toEqual({ n: 300 });
    expect((await migrateParts(serializer, opened.bundle)).sections.get('values')).toEqual(value.values);
    await expectCode(() => openBundle(bytes, () => serializer, { runtime: {}, requirements: 'strict', resolveFrom: '/nonexistent' }), 'REQUIREMENT_UNMET');
  });

  it('hands per-call serializer options to the serializer, and the registry in use', async () => {
    const serializer = numbersSerializer();
    const registry = createRegistry({ autoload: false }).register(serializer);
    await registry.bundle(value, { options: { includeExtras: true } });
    expect(serializer.contexts[0]?.options).toEqual({ includeExtras: true });
    expect(serializer.contexts[0]?.registry).toBe(registry);
    await bundleWith(serializer, value);
    expect(serializer.contexts[1]).toEqual({ options: {} });
  });
});

describe("a registry's collaborators resolve from its own container", () => {
  it('a registered CLOCK stamps `created`, for that registry alone', async () => {
    const serializer = numbersSerializer();
    const fixed = createRegistry({ autoload: false }).register(serializer);
    fixed.container.register(CLOCK, { useValue: () => new Date(created) });
    expect((await fixed.bundle(value)).header.created).toBe(created);
    expect((await createRegistry({ autoload: false }).register(serializer).bundle(value)).header.created).not.toBe(created);
  });

  it('a registered DIGEST computes every digest written and checked', async () => {
    let calls = 0;
    const counting: Digest = (bytes) => {
      calls++;
      return sha256(bytes);
    };
    const registry = createRegistry({ autoload: false }).register(numbersSerializer());
    registry.container.register(DIGEST, { useValue: counting });
    const bytes = encodeBundle(await registry.bundle(value));
    expect(calls).toBe(2); // one section, one header
    await registry.unbundle(bytes);
    expect(calls).toBe(3); // the section checked on read
  });

  it('a registered PLUGIN_LOADER is used for autoload, and a PACKAGE_LOCATOR for `requires`', async () => {
    const serializer = numbersSerializer();
    const bytes = encodeBundle(await bundleWith(serializer, value));
    const asked: string[] = [];
    const loader: PluginLoader = async (name) => {
      asked.push(name);
      return { name, serializers: [serializer] };
    };
    const located: string[] = [];
    const locator: PackageLocator = (name, from) => {
      located.push(`${name}@${from ?? 'cwd'}`);
      return { dir: '/virtual', manifest: { name, version: '2.5.0' }, entryUrl: () => 'file:///virtual/index.js' };
    };
    const registry = createRegistry({ requirements: 'strict', resolveFrom: '/app' });
    registry.container.register(PLUGIN_LOADER, { useValue: loader });
    registry.container.register(PACKAGE_LOCATOR, { useValue: locator });
    expect(await registry.unbundle<{ values: Uint8Array }>(bytes)).toEqual(value);
    expect(asked).toEqual(['@fixture/numbers']);
    expect(located).toEqual(['@fixture/needed@/app']);
    expect(registry.checkRequirements({ '@fixture/needed': '^3.0.0' })).toEqual([
      { name: '@fixture/needed', range: '^3.0.0', installed: '2.5.0', satisfied: false },
    ]);
  });
});

describe('one trust path', () => {
  let keys: Awaited<ReturnType<typeof generateKeyPair>>;
  let signed: Uint8Array;
  let dir: string;
  let cleanup: () => Promise<void>;
  const serializer = numbersSerializer();
  beforeAll(async () => {
    keys = await generateKeyPair();
    signed = encodeBundle(await signBundle(await bundleWith(serializer, value, { created }), keys.privateKey));
    ({ dir, cleanup } = await tempDir());
  });
  afterAll(() => cleanup());

  /** The signed bundle with one weight byte changed and nothing else: header, digests and signature stay as they were. */
  const tampered = () => {
    const copy = signed.slice();
    copy[copy.length - 1] = (copy[copy.length - 1] as number) ^ 0xff;
    return copy;
  };

  it('refuses trustedKeys together with skipVerify before reading anything', async () => {
    const registry = createRegistry({ autoload: false }).register(serializer);
    const error = await expectCode(() => registry.unbundle(tampered(), { trustedKeys: [keys.publicKey], skipVerify: true }), 'INVALID_ARGUMENT');
    expect(error.message).toContain('skipVerify');
    await expect(registry.unbundle(signed, { trustedKeys: [keys.publicKey] })).resolves.toEqual(value);
    await expectCode(() => unbundle(tampered(), { trustedKeys: [keys.publicKey] }), 'CORRUPT');
  });

  it('bundles record whether their sections were verified, and verifySignature checks the sections of one that was not', async () => {
    expect((await decodeBundle(signed)).verified).toBe(true);
    const unchecked = await decodeBundle(tampered(), { verify: false });
    expect(unchecked.verified).toBe(false);
    const error = await expectCode(() => verifySignature(unchecked, keys.publicKey), 'CORRUPT');
    expect(error.details.region).toBe('section:values');
    await expect(verifySignature(await decodeBundle(signed, { verify: false }), keys.publicKey)).resolves.toMatchObject({ keyIndex: 0 });
    const path = join(dir, 'signed.mbnd');
    await writeBundle(path, await decodeBundle(signed));
    expect((await readBundle(path)).verified).toBe(true);
    expect((await readBundle(path, { verify: false })).verified).toBe(false);
  });
});
