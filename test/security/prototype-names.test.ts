import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBundle, createRegistry, ErrorCodes, encodeBundle } from '@modelbundle/core';
import { writeBundle } from '@modelbundle/core/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../packages/cli/test/helpers.js';

/**
 * Names a header chooses (required packages, the serializer package) are
 * looked up in tables of known versions and shipped plugins. Names that
 * Object.prototype holds (`toString`, `hasOwnProperty`, `__proto__`) must
 * find nothing there: they used to find its functions, and crash.
 */
const draft = (pkg: string, requires: Record<string, string>) => ({
  kind: 'proto.kind',
  serializer: { version: '1.0.0', package: pkg },
  producer: { name: 'attacker', version: '1.0.0' },
  created: '2026-01-01T00:00:00.000Z',
  requires,
  metadata: {},
  ptype: null,
  summary: {},
  payload: {},
});
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mb-proto-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('prototype names in a header', () => {
  it('required packages named toString, hasOwnProperty or valueOf are simply not installed', async () => {
    const bundle = await createBundle(draft('proto-plugin', { toString: '*', hasOwnProperty: '>=1', valueOf: '^1' }));
    const statuses = createRegistry({ autoload: false }).checkRequirements(bundle.header.requires);
    expect(statuses.map((s) => [s.name, s.installed, s.satisfied])).toEqual([
      ['hasOwnProperty', null, false],
      ['toString', null, false],
      ['valueOf', null, false],
    ]);
    await expect(createRegistry({ autoload: false }).unbundle(encodeBundle(bundle))).rejects.toMatchObject({ code: 'UNKNOWN_KIND' });
    await writeBundle(join(dir, 'requires.mbnd'), bundle);
    const inspected = await runCli(['inspect', 'requires.mbnd', '--json'], { cwd: dir });
    expect(inspected.code, inspected.stderr).toBe(0);
    expect(JSON.parse(inspected.stdout).requirementsSatisfied).toBe(false);
  });

  it('a serializer package named __proto__ is an unknown plugin for the command line', async () => {
    await writeBundle(join(dir, 'proto.mbnd'), await createBundle(draft('__proto__', {})));
    const result = await runCli(['predict', 'proto.mbnd', '--input', '-'], { cwd: dir, input: '[{}]' });
    expect(result.code, result.stderr).toBe(ErrorCodes.UNKNOWN_KIND.exit);
  });
});
