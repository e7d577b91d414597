import { spawnSync } from 'node:child_process';
import { chmod, mkdir, open, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Bundle, createBundle, type ErrorCode, encodeBundle } from '@modelbundle/core';
import { PREFIX_BYTES } from '@modelbundle/core/format';
import { toHex } from '@modelbundle/core/internal';
import { inspectFile, readBundle, writeBundle } from '@modelbundle/core/node';
import { draft, expectCode } from '@modelbundle/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { assemble, headerFor, pack, pattern, sameBytes as same, tempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterEach(() => cleanup());

const sample = () =>
  createBundle(draft({ metadata: { name: 'files' } }), [
    ['a', pattern(1000)],
    ['empty', new Uint8Array(0)],
    ['b', pattern(70_000, 5)],
  ]);

describe('inspectFile', () => {
  it('reads only the prefix and header of a file over 4 GiB', async () => {
    // A section of 5 GiB, described in the header; the file is sparse, so it costs no disk.
    const length = 5 * 1024 ** 3;
    const header = pack(await headerFor(null, { sections: [{ name: 'huge', offset: 0, length, sha256: 'a'.repeat(64) }] }));
    const head = await assemble(header, new Uint8Array(0));
    const dataStart = Math.ceil((PREFIX_BYTES + header.length) / 64) * 64;
    const fileLength = dataStart + length;
    new DataView(head.buffer).setBigUint64(24, BigInt(fileLength), true);
    const path = join(dir, 'huge.mbnd');
    const handle = await open(path, 'w');
    await handle.write(head, 0, head.length, 0);
    await handle.truncate(fileLength);
    await handle.close();

    const info = await inspectFile(path);
    expect(info.bytesRead).toBe(PREFIX_BYTES + header.length);
    expect(info.fileLength).toBe(fileLength);
    expect(info.header.sections[0]).toMatchObject({ name: 'huge', length });
    expect(info.signed).toBe(false);
  });

  it('matches inspect of a real bundle and reports damage by code', async () => {
    const bundle = await sample();
    const path = join(dir, 'm.mbnd');
    await writeBundle(path, bundle);
    const info = await inspectFile(path);
    expect(info.header).toEqual(bundle.header);
    expect(info.bytesRead).toBe(PREFIX_BYTES + bundle.headerBytes.length);
    expect(info.headerDigest).toBe(toHex(bundle.headerDigest));

    const bytes = await readFile(path);
    await writeFile(path, bytes.subarray(0, bytes.length - 1));
    await expectCode(() => inspectFile(path), 'TRUNCATED');
    await writeFile(path, 'hello');
    await expectCode(() => inspectFile(path), 'NOT_A_BUNDLE');
    await writeFile(path, '');
    await expectCode(() => inspectFile(path), 'NOT_A_BUNDLE');
  });

  it('names the path when the file cannot be opened', async () => {
    const missing = join(dir, 'missing.mbnd');
    const error = await expectCode(() => inspectFile(missing), 'IO_ERROR');
    expect(error.message).toContain(missing);
    expect(error.details.errno).toBe('ENOENT');
    expect(error.cause).toBeInstanceOf(Error);
  });
});

describe('readBundle', () => {
  it('reads a file of up to 16 MiB in one read: every section a 64-byte-aligned view of one buffer', async () => {
    const bundle = await createBundle(draft(), [...(await sample()).sections, ['large', pattern(300_000, 7)]]);
    const path = join(dir, 'm.mbnd');
    await writeBundle(path, bundle);
    const calls: [number, number][] = [];
    const read = await readBundle(path, { onProgress: (done, total) => calls.push([done, total]) });
    const size = (await stat(path)).size;
    expect(calls).toEqual([[size, size]]);
    expect(new Set([...read.sections.values()].map((s) => s.buffer)).size).toBe(1);
    expect(read.header).toEqual(bundle.header);
    expect(toHex(read.headerBytes)).toBe(toHex(bundle.headerBytes));
    for (const [name, data] of bundle.sections) {
      const section = read.sections.get(name) as Uint8Array;
      expect(same(section, data)).toBe(true);
      expect(section.byteOffset % 64).toBe(0);
      expect(section.constructor).toBe(Uint8Array);
    }
  });

  it('gives a large section a buffer of its own and reports progress up to the file size', async () => {
    const big = new Uint8Array(20 * 1024 * 1024 + 3).map((_, i) => i % 251);
    const bundle = await createBundle(draft(), [
      ['small', Uint8Array.of(1, 2, 3)],
      ['big', big],
      ['tail', Uint8Array.of(9)],
    ]);
    const path = join(dir, 'big.mbnd');
    await writeBundle(path, bundle);
    const calls: [number, number][] = [];
    const read = await readBundle(path, { onProgress: (done, total) => calls.push([done, total]) });
    const section = read.sections.get('big') as Uint8Array;
    expect(same(section, big)).toBe(true);
    expect(section.byteOffset % 64).toBe(0);
    expect(section.buffer).not.toBe(read.sections.get('small')?.buffer);
    const size = (await stat(path)).size;
    expect(calls.length).toBeGreaterThan(2); // the 20 MiB section is read in slices
    expect(calls.every(([, total]) => total === size)).toBe(true);
    expect(calls.at(-1)?.[0]).toBe(size);
    expect(calls.every(([done], i) => i === 0 || done > (calls[i - 1] as [number, number])[0])).toBe(true);
    // A damaged byte in the middle of the large section is found, with the slices hashed one by one.
    const bytes = await readFile(path);
    const at = bytes.length - 64 - 10 * 1024 * 1024;
    bytes[at] = (bytes[at] as number) ^ 1;
    await writeFile(path, bytes);
    const error = await expectCode(() => readBundle(path), 'CORRUPT');
    expect(error.details.region).toBe('section:big');
  });

  it('reads a bundle with no sections', async () => {
    const path = join(dir, 'none.mbnd');
    const bundle = await createBundle(draft());
    await writeBundle(path, bundle);
    expect((await readBundle(path)).header).toEqual(bundle.header);
  });

  const damage: { name: string; change: (bytes: Buffer, dataStart: number) => Buffer; code: ErrorCode; region?: string }[] = [
    {
      name: 'a flipped section byte',
      change: (b, d) => {
        b[d + 1024 + 5] = (b[d + 1024 + 5] as number) ^ 1;
        return b;
      },
      code: 'CORRUPT',
      region: 'section:b',
    },
    {
      name: 'non-zero padding after the header',
      change: (b, d) => {
        b[d - 1] = 9;
        return b;
      },
      code: 'CORRUPT',
      region: 'padding:header',
    },
    {
      name: 'non-zero padding between sections',
      change: (b, d) => {
        b[d + 1000 + 3] = 9;
        return b;
      },
      code: 'CORRUPT',
      region: 'padding:section:empty',
    },
    { name: 'a cut-off end', change: (b) => b.subarray(0, b.length - 100), code: 'TRUNCATED' },
    { name: 'trailing bytes', change: (b) => Buffer.concat([b, Buffer.alloc(1)]), code: 'TRUNCATED' },
  ];
  it.each(damage)('refuses $name with $code', async ({ change, code, region }) => {
    const bundle = await sample();
    const path = join(dir, 'm.mbnd');
    const dataStart = Math.ceil((PREFIX_BYTES + bundle.headerBytes.length) / 64) * 64;
    await writeFile(path, change(Buffer.from(encodeBundle(bundle)), dataStart));
    const error = await expectCode(() => readBundle(path), code);
    if (region) expect(error.details.region).toBe(region);
  });

  it('skips section digests with verify: false', async () => {
    const bundle = await sample();
    const path = join(dir, 'm.mbnd');
    const bytes = Buffer.from(encodeBundle(bundle));
    const dataStart = Math.ceil((PREFIX_BYTES + bundle.headerBytes.length) / 64) * 64;
    bytes[dataStart] = (bytes[dataStart] as number) ^ 1;
    await writeFile(path, bytes);
    expect((await readBundle(path, { verify: false })).sections.get('a')?.[0]).toBe(bytes[dataStart]);
    await expectCode(() => readBundle(path), 'CORRUPT');
  });

  it('gives IO_ERROR for a directory', async () => {
    await expectCode(() => readBundle(dir), 'IO_ERROR');
  });
});

describe('writeBundle', () => {
  it('writes exactly the encoded bytes', async () => {
    const bundle = await sample();
    const path = join(dir, 'm.mbnd');
    await writeBundle(path, bundle);
    expect(same(await readFile(path), encodeBundle(bundle))).toBe(true);
    expect(await readdir(dir)).toEqual(['m.mbnd']);
  });

  it('reports progress per chunk, in 8 MiB slices of a large section, ending at the file size', async () => {
    const bundle = await createBundle(draft(), [
      ['small', pattern(1000)],
      ['large', pattern(20 * 1024 * 1024, 3)],
    ]);
    const calls: [number, number][] = [];
    const path = join(dir, 'progress.mbnd');
    await writeBundle(path, bundle, { onProgress: (written, total) => calls.push([written, total]) });
    const size = (await stat(path)).size;
    expect(size).toBe(encodeBundle(bundle).byteLength);
    expect(calls.every(([, total]) => total === size)).toBe(true);
    expect(calls.at(-1)).toEqual([size, size]);
    const steps = calls.map(([written], i) => written - (calls[i - 1]?.[0] ?? 0));
    expect(steps.every((step) => step > 0 && step <= 8 * 1024 * 1024)).toBe(true);
    // Front to back, sections hashed while written: the header's place (zeros), small and its padding,
    // then the 20 MiB section as 8 + 8 + 4 MiB; the prefix and header go over the zeros last.
    expect(steps.slice(-3)).toEqual([8 * 1024 * 1024, 8 * 1024 * 1024, 4 * 1024 * 1024]);
    expect(steps[0]).toBeLessThan(64 * 1024);
    // The same bytes as the bundle encoded in memory, whose digests are now filled in.
    expect(same(await readFile(path), encodeBundle(bundle))).toBe(true);
    expect((await readBundle(path)).header).toEqual(bundle.header);
  });

  it('hashes while writing: the file is byte for byte the bundle whose digests were computed first', async () => {
    const sections: [string, Uint8Array][] = [
      ['empty', new Uint8Array(0)],
      ...Array.from({ length: 300 }, (_, i): [string, Uint8Array] => [`s/${i}`, pattern(1 + ((i * 37) % 500), i)]),
      ['big', pattern(9 * 1024 * 1024 + 5, 7)],
      ['last-empty', new Uint8Array(0)],
    ];
    const hashedWhileWriting = await createBundle(draft(), sections);
    const hashedFirst = await createBundle(draft(), sections);
    const expected = encodeBundle(hashedFirst); // reads its digests: computed now
    const path = join(dir, 'hashing.mbnd');
    await writeBundle(path, hashedWhileWriting);
    expect(same(await readFile(path), expected)).toBe(true);
    expect(toHex(hashedWhileWriting.headerDigest)).toBe(toHex(hashedFirst.headerDigest));
    const read = await readBundle(path);
    expect(read.header.sections.map((s) => s.sha256)).toEqual(hashedFirst.header.sections.map((s) => s.sha256));
  });

  it('replaces an existing file', async () => {
    const path = join(dir, 'm.mbnd');
    await writeBundle(path, await sample());
    const second = await createBundle(draft({ metadata: { v: 2 } }), [['x', pattern(5)]]);
    await writeBundle(path, second);
    expect(same(await readFile(path), encodeBundle(second))).toBe(true);
  });

  async function existingTarget(): Promise<{ path: string; before: Buffer }> {
    const path = join(dir, 'm.mbnd');
    await writeBundle(path, await sample());
    return { path, before: await readFile(path) };
  }

  it('leaves the target intact and no temp file when reading a section fails midway', async () => {
    const { path, before } = await existingTarget();
    const bundle = await createBundle(draft(), [
      ['first', pattern(200_000)],
      ['second', pattern(10)],
    ]);
    class FailingSections extends Map<string, Uint8Array> {
      override get(name: string): Uint8Array | undefined {
        if (name === 'second') throw new Error('the weights are gone');
        return super.get(name);
      }
    }
    const failing: Bundle = { ...bundle, sections: new FailingSections(bundle.sections) };
    const error = await expectCode(() => writeBundle(path, failing), 'IO_ERROR');
    expect((error.cause as Error).message).toBe('the weights are gone');
    expect(same(await readFile(path), before)).toBe(true);
    expect(await readdir(dir)).toEqual(['m.mbnd']);
  });

  it('refuses a section whose length changed after createBundle, leaving the target intact', async () => {
    const { path, before } = await existingTarget();
    const bundle = await createBundle(draft(), [['a', pattern(100)]]);
    const changed: Bundle = { ...bundle, sections: new Map([['a', pattern(99)]]) };
    const error = await expectCode(() => writeBundle(path, changed), 'INVALID_ARGUMENT');
    expect(error.message).toMatch(/Section "a" is 99 bytes, but the header records 100/);
    expect(same(await readFile(path), before)).toBe(true);
    expect(await readdir(dir)).toEqual(['m.mbnd']);
  });

  it('removes its temp file when the final rename fails, leaving the target intact', async () => {
    // The target is a folder, so the whole file is written and synced before rename refuses.
    const path = join(dir, 'taken');
    await mkdir(join(path, 'inside'), { recursive: true });
    const error = await expectCode(async () => writeBundle(path, await sample()), 'IO_ERROR');
    expect(['EISDIR', 'ENOTEMPTY', 'EEXIST']).toContain(error.details.errno);
    expect(await readdir(dir)).toEqual(['taken']);
    expect(await readdir(path)).toEqual(['inside']);
  });

  it('fails with IO_ERROR naming the path when a folder on it is a file', async () => {
    await writeFile(join(dir, 'plain'), 'x');
    const path = join(dir, 'plain', 'm.mbnd');
    const error = await expectCode(async () => writeBundle(path, await sample()), 'IO_ERROR');
    expect(error.message).toContain(path);
    expect(error.details.errno).toBe('ENOTDIR');
  });

  it.skipIf(process.getuid?.() === 0)('fails with IO_ERROR in a read-only folder, leaving the target intact', async () => {
    const { path, before } = await existingTarget();
    await chmod(dir, 0o555);
    try {
      const error = await expectCode(async () => writeBundle(path, await sample()), 'IO_ERROR');
      expect(error.details.errno).toBe('EACCES');
    } finally {
      await chmod(dir, 0o755);
    }
    expect(same(await readFile(path), before)).toBe(true);
  });

  it('removes temp files left by dead writers, and only those', async () => {
    const dead = spawnSync(process.execPath, ['-e', '']).pid as number;
    const live = process.ppid;
    const names = {
      dead: `.m.mbnd.${dead}.0123456789ab.mbtmp`,
      live: `.m.mbnd.${live}.0123456789ab.mbtmp`,
      otherTarget: `.m.mbnd.1.${dead}.0123456789ab.mbtmp`,
      unrelated: '.m.mbnd.notes',
    };
    await mkdir(dir, { recursive: true });
    for (const name of Object.values(names)) await writeFile(join(dir, name), 'partial');
    await writeBundle(join(dir, 'm.mbnd'), await sample());
    const left = await readdir(dir);
    expect(left).not.toContain(names.dead);
    expect(left).toEqual(expect.arrayContaining([names.live, names.otherTarget, names.unrelated, 'm.mbnd']));
    expect((await stat(join(dir, 'm.mbnd'))).size).toBeGreaterThan(70_000);
  });
});
