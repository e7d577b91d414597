import { createHash } from 'node:crypto';
import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createBundle, type ErrorCode, encodeBundle, type SectionEntry } from '@modelbundle/core';
import { PREFIX_BYTES } from '@modelbundle/core/format';
import { openBundleFile, readBundle, writeBundle } from '@modelbundle/core/node';
import { draft, expectCode } from '@modelbundle/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pattern, sameBytes as same, tempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterEach(() => cleanup());

// 'big' spans three 4 MiB read slices; 'a' ends off a 64-byte boundary, so 'empty' and 'big' follow padding.
const sample = () =>
  createBundle(draft({ metadata: { name: 'streamed' } }), [
    ['a', pattern(1000)],
    ['empty', new Uint8Array(0)],
    ['big', pattern(9 * 1024 * 1024 + 13, 7)],
  ]);

describe('openBundleFile', () => {
  it('reads each section on its own, equal to readBundle, into a reused buffer when given one', async () => {
    const path = join(dir, 'm.mbnd');
    await writeBundle(path, await sample());
    const whole = await readBundle(path);
    const file = await openBundleFile(path);
    try {
      expect(file.head.header).toEqual(whole.header);
      expect(same(file.head.headerDigest, whole.headerDigest)).toBe(true);
      const reused = new Uint8Array(10 * 1024 * 1024);
      for (const name of ['big', 'a', 'empty']) {
        const own = await file.readSection(name);
        expect(same(own, whole.sections.get(name) as Uint8Array), name).toBe(true);
        const into = await file.readSection(name, reused);
        expect(into.buffer).toBe(reused.buffer);
        expect(same(into, own), name).toBe(true);
      }
    } finally {
      await file.close();
    }
  });

  it('finds damage only in the section that holds it, as it is read', async () => {
    const bundle = await sample();
    const bytes = Buffer.from(encodeBundle(bundle));
    const dataStart = Math.ceil((PREFIX_BYTES + bundle.headerBytes.length) / 64) * 64;
    const big = bundle.header.sections.find((s) => s.name === 'big');
    const at = dataStart + (big?.offset ?? 0) + 8 * 1024 * 1024 + 5; // in the third slice
    bytes[at] = (bytes[at] as number) ^ 1;
    const path = join(dir, 'm.mbnd');
    await writeFile(path, bytes);
    const file = await openBundleFile(path);
    try {
      expect((await file.readSection('a')).byteLength).toBe(1000);
      const error = await expectCode(() => file.readSection('big'), 'CORRUPT');
      expect(error.details.region).toBe('section:big');
      expect((await file.readSection('empty')).byteLength).toBe(0); // the file stays usable
    } finally {
      await file.close();
    }
    const unchecked = await openBundleFile(path, { verify: false });
    try {
      expect((await unchecked.readSection('big'))[at - dataStart - (big?.offset ?? 0)]).toBe(bytes[at]);
    } finally {
      await unchecked.close();
    }
  });

  const damage: { name: string; change: (bytes: Buffer, dataStart: number) => Buffer; code: ErrorCode; when: 'open' | 'empty'; region?: string }[] = [
    {
      name: 'non-zero padding before a section',
      change: (b, d) => {
        b[d + 1000 + 3] = 9;
        return b;
      },
      code: 'CORRUPT',
      when: 'empty',
      region: 'padding:section:empty',
    },
    {
      name: 'non-zero padding after the header',
      change: (b, d) => {
        b[d - 1] = 9;
        return b;
      },
      code: 'CORRUPT',
      when: 'open',
      region: 'padding:header',
    },
    { name: 'a cut-off end', change: (b) => b.subarray(0, b.length - 100), code: 'TRUNCATED', when: 'open' },
    {
      name: 'a damaged header',
      change: (b) => {
        b[PREFIX_BYTES + 3] = (b[PREFIX_BYTES + 3] as number) ^ 1;
        return b;
      },
      code: 'CORRUPT',
      when: 'open',
      region: 'header',
    },
  ];
  it.each(damage)('refuses $name with $code (at $when)', async ({ change, code, when, region }) => {
    const bundle = await sample();
    const path = join(dir, 'm.mbnd');
    const dataStart = Math.ceil((PREFIX_BYTES + bundle.headerBytes.length) / 64) * 64;
    await writeFile(path, change(Buffer.from(encodeBundle(bundle)), dataStart));
    if (when === 'open') {
      const error = await expectCode(() => openBundleFile(path), code);
      if (region) expect(error.details.region).toBe(region);
      return;
    }
    const file = await openBundleFile(path);
    try {
      const error = await expectCode(() => file.readSection('empty'), code);
      if (region) expect(error.details.region).toBe(region);
    } finally {
      await file.close();
    }
  });

  it('says what is wrong with an unknown section or a buffer too small', async () => {
    const path = join(dir, 'm.mbnd');
    await writeBundle(path, await sample());
    const file = await openBundleFile(path);
    try {
      const unknown = await expectCode(() => file.readSection('nope'), 'INVALID_ARGUMENT');
      expect(unknown.message).toContain('a, empty, big');
      const small = await expectCode(() => file.readSection('a', new Uint8Array(999)), 'INVALID_ARGUMENT');
      expect(small.message).toContain('1000 bytes');
    } finally {
      await file.close();
    }
  });

  it('reports progress from the header to the file size, each section counted once, in any order', async () => {
    const path = join(dir, 'm.mbnd');
    await writeBundle(path, await sample());
    const size = (await stat(path)).size;
    const calls: [number, number][] = [];
    const file = await openBundleFile(path, { onProgress: (read, total) => calls.push([read, total]) });
    try {
      const dataStart = Math.ceil((PREFIX_BYTES + file.head.headerBytes.length) / 64) * 64;
      expect(calls).toEqual([[dataStart, size]]);
      for (const name of ['big', 'a', 'big', 'empty']) await file.readSection(name);
    } finally {
      await file.close();
    }
    expect(calls.every(([, total]) => total === size)).toBe(true);
    const reads = calls.map(([read]) => read);
    expect(reads).toEqual([...reads].sort((x, y) => x - y));
    expect(reads.at(-1)).toBe(size);
    expect(calls.length).toBe(1 + 3 + 1 + 1); // the header, big's three slices, a, then empty's padding
  });

  it("digests a section without keeping it: the header's digest when intact, another when damaged", async () => {
    const bundle = await sample();
    const path = join(dir, 'm.mbnd');
    await writeBundle(path, bundle);
    const file = await openBundleFile(path);
    try {
      for (const entry of bundle.header.sections) expect(await file.digestSection(entry.name), entry.name).toBe(entry.sha256);
    } finally {
      await file.close();
    }
    const bytes = Buffer.from(encodeBundle(bundle));
    const big = bundle.header.sections.find((s) => s.name === 'big') as SectionEntry;
    const start = Math.ceil((PREFIX_BYTES + bundle.headerBytes.length) / 64) * 64 + big.offset;
    const at = start + 4 * 1024 * 1024; // the second slice's first byte
    bytes[at] = (bytes[at] as number) ^ 1;
    await writeFile(path, bytes);
    const damaged = await openBundleFile(path);
    try {
      const found = await damaged.digestSection('big');
      expect(found).not.toBe(big.sha256);
      expect(found).toBe(
        createHash('sha256')
          .update(bytes.subarray(start, start + big.length))
          .digest('hex'),
      );
    } finally {
      await damaged.close();
    }
  });

  it('gives IO_ERROR for a missing file or a directory', async () => {
    await expectCode(() => openBundleFile(join(dir, 'missing.mbnd')), 'IO_ERROR');
    await expectCode(() => openBundleFile(dir), 'IO_ERROR');
  });
});
