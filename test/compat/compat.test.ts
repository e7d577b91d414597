import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRegistry, decodeBundle, inspect, verifySignature } from '@modelbundle/core';
import { FORMAT_VERSION } from '@modelbundle/core/format';
import { ensureBackend, tfjsPlugin } from '@modelbundle/tfjs';
import { workflowsPlugin } from '@modelbundle/workflows';
import { linearPlugin } from 'modelbundle-plugin-linear';
import { beforeAll, describe, expect, it } from 'vitest';

/** What the JSON beside each committed bundle says every later release must get from it. */
interface Expectation {
  kind: string;
  rows?: unknown[];
  type?: string;
  predictions?: Record<string, unknown>[];
  publicKey?: string;
}

const here = dirname(fileURLToPath(import.meta.url));
const SEMVER = /^\d+\.\d+\.\d+$/;
const released = readdirSync(here)
  .filter((name) => SEMVER.test(name))
  .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
const bundles = released.flatMap((version) =>
  readdirSync(join(here, version))
    .filter((f) => f.endsWith('.mbnd'))
    .map((file) => ({ version, file, path: join(here, version, file) })),
);

/** Predictions may differ in the last float32 bits between tfjs backends; everything else must match. */
function expectClose(actual: unknown, expected: unknown, where: string): void {
  if (typeof expected === 'number') {
    expect(typeof actual, where).toBe('number');
    expect(Math.abs((actual as number) - expected), where).toBeLessThan(1e-5);
  } else if (Array.isArray(expected)) {
    expect(Array.isArray(actual) && actual.length === expected.length, where).toBe(true);
    for (const [i, item] of expected.entries()) expectClose((actual as unknown[])[i], item, `${where}[${i}]`);
  } else if (expected !== null && typeof expected === 'object') {
    expect(Object.keys(actual as object).sort(), where).toEqual(Object.keys(expected).sort());
    for (const [key, item] of Object.entries(expected)) expectClose((actual as Record<string, unknown>)[key], item, `${where}.${key}`);
  } else {
    expect(actual, where).toEqual(expected);
  }
}

describe('compatibility: every committed bundle of every released format version still reads', () => {
  beforeAll(async () => {
    await ensureBackend();
  });

  it(`this release (format ${FORMAT_VERSION}) has committed its bundles (node test/compat/write-bundles.mjs)`, () => {
    expect(existsSync(join(here, FORMAT_VERSION))).toBe(true);
    expect(released).toContain('1.0.0');
    expect(bundles.filter((b) => b.version === FORMAT_VERSION).length).toBeGreaterThanOrEqual(4);
  });

  describe.each(bundles)('$version/$file', ({ version, path }) => {
    const expected = JSON.parse(readFileSync(path.replace(/\.mbnd$/, '.json'), 'utf8')) as Expectation;
    const bytes = () => new Uint8Array(readFileSync(path));

    it('decodes and verifies, with the format it was written in', async () => {
      const bundle = await decodeBundle(bytes());
      expect(bundle.header.format).toBe(version);
      expect(bundle.header.kind).toBe(expected.kind);
      expect((await inspect(bytes())).header).toEqual(bundle.header);
      if (expected.publicKey) await verifySignature(bundle, [Uint8Array.from(Buffer.from(expected.publicKey, 'hex'))]);
    });

    if (expected.predictions) {
      it('restores and predicts what it predicted when written', async () => {
        const registry = createRegistry({ autoload: false }).registerPlugin(tfjsPlugin).registerPlugin(linearPlugin).registerPlugin(workflowsPlugin);
        const model = await registry.unbundle(bytes(), { requirements: 'warn' });
        const rows = expected.rows as Record<string, unknown>[];
        const predictions = await registry.predictor(expected.kind, model).predict(rows, expected.type ? { type: expected.type } : {});
        expectClose(predictions, expected.predictions, 'predictions');
        (model as { dispose?: () => void }).dispose?.();
      });
    }
  });
});
