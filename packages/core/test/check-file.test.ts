import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createBundle, encodeBundle } from '@modelbundle/core';
import { checkSections, PREFIX_BYTES } from '@modelbundle/core/format';
import { checkFile, readBundle, writeBundle } from '@modelbundle/core/node';
import { draft, expectCode } from '@modelbundle/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pattern, tempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterEach(() => cleanup());

// 'big' spans three 4 MiB slices, so its check goes round both buffers.
const sample = () =>
  createBundle(draft({ metadata: { name: 'checked' } }), [
    ['a', pattern(1000)],
    ['empty', new Uint8Array(0)],
    ['big', pattern(9 * 1024 * 1024 + 13, 7)],
    ['b', pattern(77, 3)],
  ]);

/** The file's bytes with one bit flipped in each named section, at `at` bytes into it. */
function damage(bundle: Awaited<ReturnType<typeof sample>>, changes: [string, number][]): Buffer {
  const bytes = Buffer.from(encodeBundle(bundle));
  const base = Math.ceil((PREFIX_BYTES + bundle.headerBytes.length) / 64) * 64;
  for (const [name, at] of changes) {
    const position = base + (bundle.header.sections.find((s) => s.name === name)?.offset ?? 0) + at;
    bytes[position] = (bytes[position] as number) ^ 1;
  }
  return bytes;
}

describe('checkFile', () => {
  it('reports every section as checkSections does for the bundle in memory, the damaged ones with the digest found', async () => {
    const bundle = await sample();
    const path = join(dir, 'm.mbnd');
    await writeBundle(path, bundle);
    const intact = await checkFile(path);
    expect(intact.sections.map((s) => [s.name, s.ok])).toEqual([
      ['a', true],
      ['empty', true],
      ['big', true],
      ['b', true],
    ]);
    expect(intact.head.header).toEqual(bundle.header);

    await writeFile(
      path,
      damage(bundle, [
        ['big', 8 * 1024 * 1024 + 1],
        ['b', 76],
      ]),
    );
    const found = await checkFile(path);
    expect(found.sections).toEqual(await checkSections(await readBundle(path, { verify: false })));
    expect(found.sections.filter((s) => !s.ok).map((s) => s.name)).toEqual(['big', 'b']);
    expect(found.sections.find((s) => s.name === 'big')?.found).toMatch(/^[0-9a-f]{64}$/);
  });

  it('reports progress up to the file size', async () => {
    const path = join(dir, 'm.mbnd');
    await writeBundle(path, await sample());
    const size = (await stat(path)).size;
    const reads: number[] = [];
    await checkFile(path, { onProgress: (read, total) => reads.push(total === size ? read : -1) });
    expect(reads).toEqual([...reads].sort((x, y) => x - y));
    expect(reads.at(-1)).toBe(size);
  });

  it('throws for damage outside the sections: padding, header, a cut-off end', async () => {
    const bundle = await sample();
    const path = join(dir, 'm.mbnd');
    const bytes = Buffer.from(encodeBundle(bundle));
    const base = Math.ceil((PREFIX_BYTES + bundle.headerBytes.length) / 64) * 64;
    const padding = Buffer.from(bytes);
    padding[base + 1000] = 1; // between 'a' and 'empty'
    await writeFile(path, padding);
    expect((await expectCode(checkFile(path), 'CORRUPT')).details.region).toBe('padding:section:empty');
    const header = Buffer.from(bytes);
    header[PREFIX_BYTES + 3] = (header[PREFIX_BYTES + 3] as number) ^ 1;
    await writeFile(path, header);
    expect((await expectCode(checkFile(path), 'CORRUPT')).details.region).toBe('header');
    await writeFile(path, bytes.subarray(0, bytes.length - 1));
    await expectCode(checkFile(path), 'TRUNCATED');
  });
});
