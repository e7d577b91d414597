import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBundle } from '@modelbundle/core';
import { bundlePrefix } from '@modelbundle/core/format';
import { inspectFile } from '@modelbundle/core/node';
import { summary } from '../lib/stats.js';

const MiB = 2 ** 20;
const SECTIONS = 64; // a fixed count: the header (what inspect reads) is the same size at every file size

/**
 * A valid bundle of `bytes` total section data, all zero: the prefix and
 * header are written and the file is extended with ftruncate, so the
 * sections are a sparse run of zeros (exactly their recorded bytes) and a
 * 4 GiB file costs no disk.
 */
async function writeSparseBundle(path, bytes, zeros) {
  const per = Math.floor(bytes / SECTIONS / 64) * 64;
  const sections = Array.from({ length: SECTIONS }, (_, i) => [`weights/${i}`, zeros.subarray(0, per)]);
  const bundle = await createBundle(
    {
      kind: 'bench.zeros',
      serializer: { version: '1.0.0' },
      producer: { name: 'modelbundle-bench', version: '0.0.0' },
      created: new Date(0).toISOString(),
      requires: {},
      metadata: {},
      ptype: null,
      summary: {},
      payload: {},
    },
    sections,
  );
  const handle = await open(path, 'w');
  try {
    await handle.write(bundlePrefix(bundle));
    await handle.write(bundle.headerBytes);
    const last = bundle.header.sections.at(-1);
    const length = Math.ceil((128 + bundle.headerBytes.length) / 64) * 64 + last.offset + last.length;
    await handle.truncate(length);
    return length;
  } finally {
    await handle.close();
  }
}

/** inspectFile time against file size: it reads the prefix and header only. */
export async function inspectSizes({ quick, runs }) {
  const sizes = quick ? [1, 16, 64] : [1, 16, 256, 1024, 4096];
  const zeros = new Uint8Array((sizes.at(-1) * MiB) / SECTIONS);
  const dir = await mkdtemp(join(tmpdir(), 'modelbundle-bench-'));
  const rows = [];
  try {
    for (const mib of sizes) {
      const path = join(dir, `${mib}.mbnd`);
      const fileBytes = await writeSparseBundle(path, mib * MiB, zeros);
      const times = [];
      let bytesRead = 0;
      for (let i = -2; i < runs; i++) {
        const start = performance.now();
        const r = await inspectFile(path);
        const ms = performance.now() - start;
        bytesRead = r.bytesRead;
        if (i >= 0) times.push(ms);
      }
      const ms = summary(times, 3);
      rows.push({ fileBytes, bytesRead, ms, target: { ms: 5, met: ms.median < 5 } });
      await rm(path);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return rows;
}
