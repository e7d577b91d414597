import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureBackend } from '@modelbundle/tfjs';
import { describe, expect, it } from 'vitest';
import { forgedTopologyBundle, HOSTILE_TOPOLOGIES } from './support/hostile-topologies.js';

/**
 * Writes the hostile tfjs topologies of support/hostile-topologies.ts into
 * regressions/ (replayed through every target by regressions.test.ts).
 * Runs only on request: `WRITE_VECTORS=1 npx vitest run test/security/write-topology-vectors.test.ts`.
 */
const DIR = new URL('./regressions/', import.meta.url).pathname;

describe.runIf(process.env.WRITE_VECTORS === '1')('write the topology regression vectors', () => {
  it('writes one .bin and .json per hostile topology', async () => {
    await ensureBackend();
    for (const hostile of HOSTILE_TOPOLOGIES) {
      const bytes = await forgedTopologyBundle(hostile.model(), hostile.edit);
      const name = `manual-topology-${hostile.id}`;
      await writeFile(join(DIR, `${name}.bin`), bytes);
      const kind = hostile.id.startsWith('graph') ? 'slow' : 'alloc';
      await writeFile(
        join(DIR, `${name}.json`),
        `${JSON.stringify({ target: 'unbundle', kind, message: `refused with ${hostile.code} since the fix`, how: hostile.how }, null, 2)}\n`,
      );
    }
    expect(HOSTILE_TOPOLOGIES.length).toBeGreaterThan(10);
  });
});
