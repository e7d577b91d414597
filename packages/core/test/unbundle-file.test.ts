import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createBundle, createRegistry, generateKeyPair, type Serializer, signBundle } from '@modelbundle/core';
import { unbundleFile, WHOLE_FILE_BYTES, writeBundle } from '@modelbundle/core/node';
import { expectCode } from '@modelbundle/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pattern, tempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterEach(() => cleanup());

/** A value holding one big blob: it keeps only the blob's sum, so a streamed restore needs no copy of its own. */
interface Summed {
  sum: number;
  length: number;
  disposed?: boolean;
  dispose(): void;
}

const sum = (bytes: Uint8Array) => bytes.reduce((a, b) => (a + b) % 1_000_003, 0);
const blobValue = (bytes: Uint8Array): Summed => ({
  sum: sum(bytes),
  length: bytes.byteLength,
  dispose() {
    this.disposed = true;
  },
});

/** A serializer whose restores say which route they took: `calls` records each. */
function blobSerializer(calls: string[], streams = true): Serializer<Summed> {
  return {
    kind: 'test.blob',
    version: '1.1.0',
    reads: '^1.1.0',
    migrations: [{ from: '1.0.x', to: '1.1.0', migrate: (parts) => parts }],
    canBundle: (v) => v instanceof Uint8Array,
    bundle: (v) => ({ payload: { blob: 'blob' }, sections: [['blob', v as unknown as Uint8Array]] }),
    unbundle: (parts) => {
      calls.push('whole');
      return blobValue(parts.sections.get('blob') as Uint8Array);
    },
    ...(streams
      ? {
          unbundleStreamed: async (parts) => {
            calls.push('streamed');
            const length = parts.sections.lengths.get('blob')?.byteLength ?? 0;
            return blobValue(await parts.sections.read('blob', new Uint8Array(length)));
          },
        }
      : {}),
  };
}

const big = () => pattern(WHOLE_FILE_BYTES + 4096, 3);

/** Writes `data` as a test.blob bundle, with `extra` sections after its own. */
async function saved(name: string, data: Uint8Array, extra: [string, Uint8Array][] = []): Promise<string> {
  const bundle = await createRegistry({ autoload: false }).register(blobSerializer([])).bundle(data);
  const { format: _f, sections: _s, ...draft } = bundle.header;
  const path = join(dir, name);
  await writeBundle(path, await createBundle(draft, [...bundle.sections, ...extra]));
  return path;
}

describe('unbundleFile', () => {
  it('streams a large file to a serializer that can, and reads a small one whole unless asked (streamAbove)', async () => {
    const calls: string[] = [];
    const registry = createRegistry({ autoload: false }).register(blobSerializer(calls));
    const data = big();
    const large = await saved('large.mbnd', data);
    const small = await saved('small.mbnd', pattern(1000));
    const a = await unbundleFile<Summed>(large, { registry });
    expect(a.value).toMatchObject({ sum: sum(data), length: data.byteLength });
    expect(a.head.header.kind).toBe('test.blob');
    expect(a.head.headerDigest.byteLength).toBe(32);
    const b = await unbundleFile<Summed>(small, { registry });
    expect(b.value.length).toBe(1000);
    expect((await unbundleFile<Summed>(small, { registry, streamAbove: 0 })).value.length).toBe(1000); // streamed on request
    expect(calls).toEqual(['streamed', 'whole', 'streamed']);
  });

  it('reports progress up to the file size on every route, the unasked sections included', async () => {
    const registry = createRegistry({ autoload: false }).register(blobSerializer([]));
    const large = await saved('large.mbnd', big(), [['unasked', pattern(5000)]]);
    const small = await saved('small.mbnd', pattern(1000));
    for (const [path, streamAbove] of [
      [large, undefined],
      [small, undefined],
      [small, 0],
    ] as const) {
      const size = (await stat(path)).size;
      const reads: number[] = [];
      await unbundleFile(path, {
        registry,
        ...(streamAbove === undefined ? {} : { streamAbove }),
        onProgress: (read, total) => reads.push(total === size ? read : -1),
      });
      expect(reads).toEqual([...reads].sort((x, y) => x - y));
      expect(reads[0]).toBeGreaterThan(0);
      expect(reads.at(-1)).toBe(size);
    }
  });

  it('reads a large file whole for a serializer that cannot stream, or a payload that needs a migration', async () => {
    const calls: string[] = [];
    const path = await saved('large.mbnd', big());
    const plain = createRegistry({ autoload: false }).register(blobSerializer(calls, false));
    await unbundleFile(path, { registry: plain });
    const newer = createRegistry({ autoload: false }).register({
      ...blobSerializer(calls),
      version: '2.0.0',
      reads: '^2.0.0',
      migrations: [{ from: '^1.1.0', to: '2.0.0', migrate: (p) => p }],
    });
    await unbundleFile(path, { registry: newer });
    expect(calls).toEqual(['whole', 'whole']);
  });

  it('warns once about an unmet requirement, whether the file streams or falls back to a whole read', async () => {
    const warnings: string[] = [];
    const listen = (w: Error) => {
      if ((w as Error & { code?: string }).code === 'MODELBUNDLE_REQUIREMENT_UNMET') warnings.push(w.message);
    };
    process.on('warning', listen);
    try {
      const needy = (calls: string[], streams: boolean): Serializer<Summed> => {
        const base = blobSerializer(calls, streams);
        return { ...base, bundle: async (v, c) => ({ ...(await base.bundle(v, c)), requires: { '@fixture/never-installed': '^1.0.0' } }) };
      };
      const data = big();
      const path = join(dir, 'needy.mbnd');
      await writeBundle(path, await createRegistry({ autoload: false }).register(needy([], true)).bundle(data));
      for (const streams of [true, false]) {
        const calls: string[] = [];
        warnings.length = 0;
        await unbundleFile(path, { registry: createRegistry({ autoload: false }).register(needy(calls, streams)) });
        await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
        expect(calls).toEqual([streams ? 'streamed' : 'whole']);
        expect(warnings, `streams: ${streams}`).toHaveLength(1);
      }
    } finally {
      process.off('warning', listen);
    }
  });

  it('checks the sections the serializer did not ask for, disposing the value when one is damaged', async () => {
    const calls: string[] = [];
    const registry = createRegistry({ autoload: false }).register(blobSerializer(calls));
    const path = await saved('extra.mbnd', big(), [['notes', pattern(300, 9)]]);
    expect((await unbundleFile<Summed>(path, { registry })).value.disposed).toBeUndefined();
    const bytes = await readFile(path);
    bytes[bytes.length - 7] = (bytes[bytes.length - 7] as number) ^ 1;
    await writeFile(path, bytes);
    let made: Summed | undefined;
    const watching = createRegistry({ autoload: false }).register({
      ...blobSerializer(calls),
      unbundleStreamed: async (parts) => {
        made = blobValue(await parts.sections.read('blob'));
        return made;
      },
    });
    expect((await expectCode(() => unbundleFile(path, { registry: watching }), 'CORRUPT')).details.region).toBe('section:notes');
    expect(made?.disposed).toBe(true);
    expect((await unbundleFile<Summed>(path, { registry: watching, skipVerify: true })).value.disposed).toBeUndefined(); // unchecked on request
  });

  it('fails a damaged streamed section with CORRUPT, and checks trust before any section is read', async () => {
    const calls: string[] = [];
    const registry = createRegistry({ autoload: false }).register(blobSerializer(calls));
    const data = big();
    const keys = await generateKeyPair();
    const signedPath = join(dir, 'signed.mbnd');
    await writeBundle(signedPath, await signBundle(await registry.bundle(data), keys.privateKey));
    expect((await unbundleFile<Summed>(signedPath, { registry, trustedKeys: [keys.publicKey] })).value.sum).toBe(sum(data));
    const path = await saved('plain.mbnd', data);
    calls.length = 0;
    const refused = await expectCode(() => unbundleFile(path, { registry, trustedKeys: [keys.publicKey] }), 'SIGNATURE_INVALID');
    expect(refused.details.reason).toBe('unsigned');
    expect(calls).toEqual([]);
    const bytes = await readFile(path);
    bytes[bytes.length - 100] = (bytes[bytes.length - 100] as number) ^ 1;
    await writeFile(path, bytes);
    expect((await expectCode(() => unbundleFile(path, { registry }), 'CORRUPT')).details.region).toBe('section:blob');
    await expectCode(() => unbundleFile(join(dir, 'missing.mbnd'), { registry }), 'IO_ERROR');
  });
});
