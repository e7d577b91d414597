import { spawnSync } from 'node:child_process';
import { mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  bundle,
  createRegistry,
  decodeBundle,
  defaultRegistry,
  encodeBundle,
  type ModelBundlePlugin,
  type PluginLoader,
  Registry,
  registerPlugin,
  registerSerializer,
  type Serializer,
  unbundle,
} from '@modelbundle/core';
import { expectCode } from '@modelbundle/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './helpers.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const CORE_DIR = fileURLToPath(new URL('..', import.meta.url));

/** A folder laid out like an application that installed the fixture packages. */
let app: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir: app, cleanup } = await tempDir());
  await mkdir(join(app, 'node_modules', '@fixture'), { recursive: true });
  for (const name of ['echo-plugin', 'undeclared-plugin', 'required-lib']) {
    await symlink(join(FIXTURES, name), join(app, 'node_modules', '@fixture', name), 'dir');
  }
});
afterAll(() => cleanup());

const imports = () => globalThis as { __echoPluginImports?: number; __undeclaredPluginImports?: number };

/** A serializer for `{ text }` values, in memory. */
function textSerializer(overrides: Partial<Serializer<{ text: string }>> = {}): Serializer<{ text: string }> {
  return {
    kind: 'test.text',
    package: '@fixture/text',
    pluginExport: 'textPlugin',
    version: '1.0.0',
    reads: '^1.0.0',
    canBundle: (value) => typeof value === 'object' && value !== null && typeof (value as { text?: unknown }).text === 'string',
    bundle: (value) => ({
      payload: { length: value.text.length },
      sections: [['text', new TextEncoder().encode(value.text)]],
      summary: { chars: value.text.length },
    }),
    unbundle: (parts) => ({ text: new TextDecoder().decode(parts.sections.get('text')) }),
    ...overrides,
  };
}

describe('registries', () => {
  it('registers nothing on import, in a fresh process', () => {
    const script = "import('@modelbundle/core').then((m) => console.log(JSON.stringify(m.defaultRegistry.list().map((s) => s.kind))))";
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: CORE_DIR, encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('[]');
    expect(defaultRegistry.list()).toEqual([]);
  });

  it('refuses a second serializer under a taken kind, and ignores the same one twice', () => {
    const first = textSerializer();
    const registry = createRegistry().register(first).register(first);
    expect(registry.list()).toEqual([first]);
    const error = (() => {
      try {
        registry.register(textSerializer());
      } catch (e) {
        return e as { code: string; message: string };
      }
    })();
    expect(error?.code).toBe('DUPLICATE_SERIALIZER');
    expect(error?.message).toContain('kind "test.text" is already registered (from @fixture/text)');
  });

  it('refuses a serializer whose version or reads is not semver', async () => {
    for (const bad of [{ version: 'one' }, { reads: 'any old thing' }]) {
      await expectCode(() => createRegistry().register(textSerializer(bad)), 'INVALID_ARGUMENT');
    }
  });

  it('keeps registries independent', () => {
    const a = createRegistry().register(textSerializer());
    const b = createRegistry();
    expect(a).toBeInstanceOf(Registry);
    expect(a.get('test.text')).toBeDefined();
    expect(b.get('test.text')).toBeUndefined();
    expect(defaultRegistry.get('test.text')).toBeUndefined();
  });

  it('round-trips a value through bundle and unbundle, from bytes, a Blob and a Response', async () => {
    const registry = createRegistry({ autoload: false }).register(textSerializer());
    const saved = await registry.bundle({ text: 'héllo' }, { metadata: { owner: 'team' }, created: new Date('2026-02-03T04:05:06Z') });
    expect(saved.header).toMatchObject({
      kind: 'test.text',
      serializer: { version: '1.0.0', package: '@fixture/text', plugin: 'textPlugin' },
      producer: { name: '@modelbundle/core' },
      created: '2026-02-03T04:05:06.000Z',
      metadata: { owner: 'team' },
      summary: { chars: 5 },
      payload: { length: 5 },
      ptype: null,
    });
    const bytes = encodeBundle(saved);
    for (const source of [saved, bytes, bytes.slice().buffer, new Blob([bytes as Uint8Array<ArrayBuffer>]), new Response(bytes as Uint8Array<ArrayBuffer>)]) {
      expect(await registry.unbundle(source)).toEqual({ text: 'héllo' });
    }
  });

  it('refuses a failed HTTP response and a value that is not a bundle source', async () => {
    const registry = createRegistry();
    await expectCode(() => registry.unbundle(new Response('gone', { status: 404 })), 'IO_ERROR');
    await expectCode(() => registry.unbundle('model.mbnd' as never), 'INVALID_ARGUMENT');
  });

  it('gives NO_SERIALIZER when no registered serializer accepts a value', async () => {
    const registry = createRegistry().register(textSerializer());
    const error = await expectCode(() => registry.bundle(42), 'NO_SERIALIZER');
    expect(error.message).toContain('Registered kinds: test.text');
    const byKind = await expectCode(() => registry.bundle({ text: 'x' }, { kind: 'test.other' }), 'NO_SERIALIZER');
    expect(byKind.message).toContain('No serializer is registered for kind "test.other"');
    await expectCode(() => createRegistry().bundle({}), 'NO_SERIALIZER', 'Registered kinds: none');
  });

  it('gives NO_PREDICTOR when the serializer has no predictor', async () => {
    const registry = createRegistry().register(textSerializer());
    await expectCode(() => registry.predictor('test.text', { text: '' }), 'NO_PREDICTOR');
    await expectCode(() => registry.predictor('test.none', {}), 'NO_PREDICTOR', 'no serializer is registered for it');
  });

  it('uses the default registry behind the free functions', async () => {
    const serializer = textSerializer({ kind: 'test.default' });
    registerSerializer(serializer);
    const plugin: ModelBundlePlugin = { name: 'p', serializers: [textSerializer({ kind: 'test.plugin' })] };
    registerPlugin(plugin);
    expect(defaultRegistry.list().map((s) => s.kind)).toEqual(['test.default', 'test.plugin']);
    const saved = await bundle({ text: 'free' });
    expect(saved.header.kind).toBe('test.default');
    expect(await unbundle(encodeBundle(saved))).toEqual({ text: 'free' });
  });
});

describe('unknown kinds and autoload', () => {
  async function echoBytes(): Promise<Uint8Array> {
    const { echoPlugin } = (await import(join(FIXTURES, 'echo-plugin', 'index.js'))) as { echoPlugin: ModelBundlePlugin };
    return encodeBundle(await createRegistry().registerPlugin(echoPlugin).bundle({ echo: 'ping' }));
  }

  it('with autoload off, names the kind, the package and the exact call that registers it', async () => {
    const error = await expectCode(async () => createRegistry({ autoload: false, resolveFrom: app }).unbundle(await echoBytes()), 'UNKNOWN_KIND');
    expect(error.message).toContain('No serializer is registered for kind "fixture.echo" and autoload is off');
    expect(error.message).toContain(
      `Install "@fixture/echo-plugin" and register it: import { echoPlugin } from '@fixture/echo-plugin'; registerPlugin(echoPlugin);`,
    );
    expect(error.details).toMatchObject({ kind: 'fixture.echo', package: '@fixture/echo-plugin' });
  });

  it('autoloads an installed package that declares itself a plugin', async () => {
    const bytes = await echoBytes();
    const before = imports().__echoPluginImports ?? 0;
    const registry = createRegistry({ resolveFrom: app });
    expect(await registry.unbundle(bytes)).toEqual({ echo: 'ping', raw: 'ping', restoredBy: 'echo-plugin' });
    expect(registry.get('fixture.echo')).toBeDefined();
    // Loaded from the application's node_modules (a new module instance), then kept registered.
    expect(imports().__echoPluginImports).toBe(before + 1);
    await registry.unbundle(bytes);
    expect(imports().__echoPluginImports).toBe(before + 1);
  });

  it('autoload can be turned off per call', async () => {
    await expectCode(async () => createRegistry({ resolveFrom: app }).unbundle(await echoBytes(), { autoload: false }), 'UNKNOWN_KIND');
  });

  it('refuses to autoload a package that does not declare itself a plugin, and never imports it', async () => {
    const { plugin } = (await import(join(FIXTURES, 'undeclared-plugin', 'index.js'))) as { plugin: ModelBundlePlugin };
    const bytes = encodeBundle(await createRegistry().registerPlugin(plugin).bundle('anything'));
    const before = imports().__undeclaredPluginImports;
    const error = await expectCode(() => createRegistry({ resolveFrom: app }).unbundle(bytes), 'UNKNOWN_KIND');
    expect(error.message).toContain('"@fixture/undeclared-plugin" could not be autoloaded');
    expect(error.message).toContain('"modelbundle": { "plugin": "<export>" }');
    expect(imports().__undeclaredPluginImports).toBe(before);
  });

  it('gives UNKNOWN_KIND when the plugin package is not installed', async () => {
    const { dir, cleanup: done } = await tempDir();
    try {
      const error = await expectCode(async () => createRegistry({ resolveFrom: dir }).unbundle(await echoBytes()), 'UNKNOWN_KIND');
      expect(error.details.register).toBe(`import { echoPlugin } from '@fixture/echo-plugin'; registerPlugin(echoPlugin);`);
    } finally {
      await done();
    }
  });

  it('passes the package and resolution folder to a custom loader', async () => {
    const calls: unknown[] = [];
    const { echoPlugin } = (await import(join(FIXTURES, 'echo-plugin', 'index.js'))) as { echoPlugin: ModelBundlePlugin };
    const loader: PluginLoader = async (name, context) => {
      calls.push([name, context]);
      return echoPlugin;
    };
    expect(await createRegistry({ autoload: loader, resolveFrom: app }).unbundle(await echoBytes())).toMatchObject({ echo: 'ping' });
    expect(calls).toEqual([['@fixture/echo-plugin', expect.objectContaining({ from: app })]]);
  });

  it('decoding needs no serializer at all', async () => {
    expect((await decodeBundle(await echoBytes())).header.kind).toBe('fixture.echo');
  });
});
