import { mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CORE_VERSION, checkRequirements, createRegistry, encodeBundle, type Serializer, type UnbundleParts } from '@modelbundle/core';
import { expectCode } from '@modelbundle/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './helpers.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

let app: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir: app, cleanup } = await tempDir());
  await mkdir(join(app, 'node_modules', '@fixture'), { recursive: true });
  await symlink(join(FIXTURES, 'required-lib'), join(app, 'node_modules', '@fixture', 'required-lib'), 'dir');
});
afterAll(() => cleanup());

/** A serializer of `{ value }` objects whose payload version and rules a test chooses. */
function versioned(version: string, rest: Partial<Serializer<{ value: unknown }>> = {}): Serializer<{ value: unknown }> {
  return {
    kind: 'test.versioned',
    package: '@fixture/versioned',
    version,
    reads: `^${version}`,
    canBundle: () => true,
    bundle: (v) => ({ payload: { value: v.value } }),
    unbundle: (parts) => ({ value: parts.payload.value, version: parts.version, payload: parts.payload }),
    ...rest,
  };
}

async function writtenBy(serializer: Serializer<any>, value: unknown = 1, requires?: Record<string, string>): Promise<Uint8Array> {
  const writer = requires ? { ...serializer, bundle: (v: any) => ({ ...(serializer.bundle(v, undefined as never) as object), requires }) } : serializer;
  return encodeBundle(await createRegistry().register(writer).bundle({ value }));
}

describe('payload versions', () => {
  it('refuses a newer payload, naming the version to upgrade to', async () => {
    const bytes = await writtenBy(versioned('3.0.0'));
    const error = await expectCode(() => createRegistry().register(versioned('1.4.0')).unbundle(bytes), 'UNSUPPORTED_PAYLOAD');
    expect(error.message).toContain('payload is version 3.0.0, newer than this serializer reads (^1.4.0)');
    expect(error.message).toContain('Upgrade @fixture/versioned to a release that reads 3.0.0');
    expect(error.details).toMatchObject({ kind: 'test.versioned', found: '3.0.0', reads: '^1.4.0' });
  });

  it('refuses an older payload it has no migration for', async () => {
    const bytes = await writtenBy(versioned('0.9.0'));
    const error = await expectCode(() => createRegistry().register(versioned('2.0.0')).unbundle(bytes), 'UNSUPPORTED_PAYLOAD');
    expect(error.message).toContain('has no migration from it');
  });

  it('applies a chain of migrations from 1.x to 2.0, in order', async () => {
    const bytes = await writtenBy(versioned('1.2.0'), 'old');
    const steps: string[] = [];
    const reader = versioned('2.0.0', {
      migrations: [
        {
          from: '>=1.0.0 <1.5.0',
          to: '1.5.0',
          migrate: (parts: UnbundleParts) => {
            steps.push(`${parts.version}→1.5.0`);
            return { ...parts, payload: { ...parts.payload, added: true } };
          },
        },
        {
          from: '~1.5.0',
          to: '2.0.0',
          migrate: (parts: UnbundleParts) => {
            steps.push(`${parts.version}→2.0.0`);
            const { value, ...rest } = parts.payload;
            return { ...parts, payload: { ...rest, renamed: value } };
          },
        },
      ],
    });
    const restored = (await createRegistry().register(reader).unbundle(bytes)) as { version: string; payload: unknown };
    expect(steps).toEqual(['1.2.0→1.5.0', '1.5.0→2.0.0']);
    expect(restored.version).toBe('2.0.0');
    expect(restored.payload).toEqual({ added: true, renamed: 'old' });
  });

  it('stops at a migration that does not raise the version', async () => {
    const bytes = await writtenBy(versioned('1.0.0'));
    const reader = versioned('2.0.0', { migrations: [{ from: '^1.0.0', to: '1.0.0', migrate: (p: UnbundleParts) => p }] });
    await expectCode(() => createRegistry().register(reader).unbundle(bytes), 'UNSUPPORTED_PAYLOAD');
  });

  it('reads an older minor payload directly', async () => {
    const bytes = await writtenBy(versioned('1.0.0'), 7);
    const restored = await createRegistry()
      .register(versioned('1.3.0', { reads: '^1.0.0' }))
      .unbundle(bytes);
    expect(restored).toMatchObject({ value: 7, version: '1.0.0' });
  });
});

describe('requires', () => {
  function nextWarning(): Promise<Error & { code?: string }> {
    return new Promise((resolve) => process.once('warning', resolve));
  }

  it('warns by default with a Node warning coded MODELBUNDLE_REQUIREMENT_UNMET, and restores', async () => {
    const bytes = await writtenBy(versioned('1.0.0'), 'v', { '@fixture/absent-lib': '^1.0.0', '@fixture/required-lib': '^3.0.0' });
    const warning = nextWarning();
    const restored = await createRegistry({ resolveFrom: app }).register(versioned('1.0.0')).unbundle(bytes);
    expect(restored).toMatchObject({ value: 'v' });
    const emitted = await warning;
    expect(emitted.code).toBe('MODELBUNDLE_REQUIREMENT_UNMET');
    expect(emitted.message).toContain('@fixture/absent-lib@^1.0.0 (installed: none)');
    expect(emitted.message).toContain('@fixture/required-lib@^3.0.0 (installed: 2.5.0)');
  });

  it('refuses with REQUIREMENT_UNMET under the strict policy, listing every unmet package', async () => {
    const bytes = await writtenBy(versioned('1.0.0'), 'v', { '@fixture/absent-lib': '^1.0.0', '@fixture/required-lib': '^2.0.0' });
    for (const registry of [createRegistry({ resolveFrom: app, requirements: 'strict' }), createRegistry({ resolveFrom: app })]) {
      registry.register(versioned('1.0.0'));
      const error = await expectCode(() => registry.unbundle(bytes, { requirements: 'strict' }), 'REQUIREMENT_UNMET');
      expect(error.message).toContain('npm install "@fixture/absent-lib@^1.0.0"');
      expect(error.details.unmet).toEqual([{ name: '@fixture/absent-lib', range: '^1.0.0', installed: null, satisfied: false }]);
    }
  });

  it('is met by installed packages, serializer runtimes and core itself, without a warning', async () => {
    const bytes = await writtenBy(versioned('1.0.0'), 'v', {
      '@fixture/required-lib': '^2.0.0',
      'fake-runtime': '~4.1.0',
      '@modelbundle/core': `^${CORE_VERSION}`,
    });
    const registry = createRegistry({ resolveFrom: app, requirements: 'strict' }).register(versioned('1.0.0', { runtime: { 'fake-runtime': '4.1.7' } }));
    let warned = false;
    const onWarning = () => {
      warned = true;
    };
    process.on('warning', onWarning);
    try {
      expect(await registry.unbundle(bytes)).toMatchObject({ value: 'v' });
    } finally {
      process.off('warning', onWarning);
    }
    expect(warned).toBe(false);
    expect(registry.checkRequirements({ '@fixture/required-lib': '>=2.5.0', x: '1' })).toEqual([
      { name: '@fixture/required-lib', range: '>=2.5.0', installed: '2.5.0', satisfied: true },
      { name: 'x', range: '1', installed: null, satisfied: false },
    ]);
  });

  it('checkRequirements counts pre-releases as matching', () => {
    expect(checkRequirements({ lib: '^1.0.0' }, { lib: '1.2.0-rc.1' })[0]?.satisfied).toBe(true);
  });
});
