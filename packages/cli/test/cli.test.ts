import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createBundle, createRegistry, ErrorCodes } from '@modelbundle/core';
import { writeBundle } from '@modelbundle/core/node';
import { draft } from '@modelbundle/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTable, linearPlugin } from '../../serve/test/fixtures/linear-plugin/index.js';
import { linearBundle } from '../../serve/test/helpers.js';
import { DENSE_TFJS_DIR, projectDir, runCli } from './helpers.js';

let cwd: string;
let bundleBytes: Uint8Array;

beforeAll(async () => {
  cwd = await projectDir();
  await writeBundle(join(cwd, 'linear.mbnd'), await linearBundle());
  bundleBytes = new Uint8Array(await readFile(join(cwd, 'linear.mbnd')));
  await writeFile(
    join(cwd, 'rows.json'),
    JSON.stringify([
      { x1: 1, x2: 2, group: 'a' },
      { x1: 3, x2: 0, group: 'b' },
    ]),
  );
  await writeFile(join(cwd, 'rows.csv'), 'x1,x2,group\n1,2,a\n3,0,b\n');
});

const cli = (...args: string[]) => runCli(args, { cwd });

describe('usage', () => {
  it('prints help for the program and every command, exit 0', async () => {
    const root = await cli('--help');
    expect(root.code).toBe(0);
    for (const command of ['inspect', 'verify', 'keygen', 'sign', 'predict', 'export', 'import', 'serve', 'docker']) {
      expect(root.stdout).toContain(command);
      const help = await cli(command, '--help');
      expect(help.code, command).toBe(0);
      expect(help.stdout).toContain(`Usage: modelbundle ${command}`);
    }
  });

  it('prints the version', async () => {
    const { version } = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));
    const result = await cli('--version');
    expect(result).toMatchObject({ code: 0, stdout: `${version}\n` });
  });

  it.each([
    [['frobnicate'], "unknown command 'frobnicate'"],
    [['inspect'], "missing required argument 'file'"],
    [['predict', 'linear.mbnd'], "required option '-i, --input <path>' not specified"],
    [['serve', 'linear.mbnd', '--port', 'http'], 'expected a port number'],
    [['export', 'linear.mbnd', 'out', '--format', 'onnx'], 'Allowed choices are tfjs'],
  ])('exits 2 on wrong usage: %j', async (args, message) => {
    const result = await cli(...args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });
});

describe('inspect', () => {
  it('describes the header in words', async () => {
    const result = await cli('inspect', 'linear.mbnd');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/kind\s+example\.linear/);
    expect(result.stdout).toMatch(/serializer\s+modelbundle-example-linear 1\.0\.0/);
    expect(result.stdout).toMatch(/modelbundle-example-linear\s+\^1\.0\.0\s+installed 1\.0\.0\s+ok/);
    expect(result.stdout).toMatch(/weights\s+0\s+16 B\s+[0-9a-f]{64}/);
    expect(result.stderr).toBe('');
  });

  it('prints the documented --json document, reading only prefix and header', async () => {
    const result = await cli('inspect', 'linear.mbnd', '--json');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(Object.keys(report)).toEqual([
      'file',
      'fileLength',
      'headerLength',
      'bytesRead',
      'headerDigest',
      'signed',
      'format',
      'kind',
      'serializer',
      'producer',
      'created',
      'requires',
      'requirementsSatisfied',
      'metadata',
      'ptype',
      'summary',
      'sections',
    ]);
    expect(report).toMatchObject({
      fileLength: bundleBytes.length,
      bytesRead: 128 + report.headerLength,
      kind: 'example.linear',
      created: '2026-01-01T00:00:00.000Z',
      requires: [{ name: 'modelbundle-example-linear', range: '^1.0.0', installed: '1.0.0', satisfied: true }],
      requirementsSatisfied: true,
      metadata: { name: 'linear-demo' },
      sections: [{ name: 'weights', offset: 0, length: 16 }],
    });
  });

  it('reports unmet requirements, and --strict exits with REQUIREMENT_UNMET', async () => {
    await writeBundle(join(cwd, 'needs.mbnd'), await createBundle(draft({ kind: 'example.other', requires: { 'modelbundle-not-installed': '^3.0.0' } })));
    const plain = await cli('inspect', 'needs.mbnd');
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(/modelbundle-not-installed\s+\^3\.0\.0\s+installed none\s+NOT SATISFIED/);
    const strict = await cli('inspect', 'needs.mbnd', '--strict');
    expect(strict.code).toBe(ErrorCodes.REQUIREMENT_UNMET.exit);
    expect(strict.stderr).toContain('modelbundle-not-installed@^3.0.0 (installed: none)');
  });
});

describe('verify', () => {
  const damaged = async (name: string, change: (bytes: Uint8Array) => Uint8Array) => {
    await writeFile(join(cwd, name), change(bundleBytes.slice()));
    return name;
  };

  it('exits 0 for an intact bundle', async () => {
    const result = await cli('verify', 'linear.mbnd');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('linear.mbnd: intact');
  });

  it('exits 12 (CORRUPT) naming the damaged section, in words and in --json', async () => {
    const file = await damaged('flipped.mbnd', (b) => {
      b[b.length - 1] = (b[b.length - 1] as number) ^ 0xff;
      return b;
    });
    const result = await cli('verify', file);
    expect(result.code).toBe(ErrorCodes.CORRUPT.exit);
    expect(result.stdout).toContain('DAMAGED section weights');
    expect(result.stdout).toContain('damaged at section:weights');
    const json = await cli('verify', file, '--json');
    expect(json.code).toBe(ErrorCodes.CORRUPT.exit);
    const report = JSON.parse(json.stdout);
    expect(report).toMatchObject({ intact: false, header: { ok: true }, sections: [{ name: 'weights', ok: false }], error: { code: 'CORRUPT' } });
    expect(report.sections[0].found).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each([
    ['a damaged header', 'header.mbnd', flipByte(200), 'CORRUPT', 'header'],
    ['a truncated file', 'short.mbnd', (b: Uint8Array) => b.subarray(0, b.length - 10), 'TRUNCATED', undefined],
    ['a newer format major', 'v2.mbnd', setMajor(2), 'UNSUPPORTED_FORMAT', undefined],
    ['not a bundle', 'text.mbnd', () => new TextEncoder().encode('just some text, not a bundle at all'.repeat(5)), 'NOT_A_BUNDLE', undefined],
  ] as const)('exits with the code of %s', async (_, name, change, code, region) => {
    const result = await cli('verify', await damaged(name, change), '--json');
    expect(result.code).toBe(ErrorCodes[code].exit);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ intact: false, error: { code } });
    if (region) expect(report.error.details.region).toBe(region);
  });

  it('exits 27 (IO_ERROR) for a missing file', async () => {
    const result = await cli('verify', 'missing.mbnd');
    expect(result.code).toBe(ErrorCodes.IO_ERROR.exit);
    expect(result.stderr).toContain('check the path');
  });
});

describe('predict', () => {
  it('predicts rows from JSON, CSV and stdin alike', async () => {
    const expected = '.pred\n0.5\n16.5\n';
    expect(await cli('predict', 'linear.mbnd', '--input', 'rows.json')).toMatchObject({ code: 0, stdout: expected });
    expect(await cli('predict', 'linear.mbnd', '--input', 'rows.csv')).toMatchObject({ code: 0, stdout: expected });
    const stdin = await runCli(['predict', 'linear.mbnd', '-i', '-'], { cwd, input: 'x1,x2,group\n1,2,a\n3,0,b\n' });
    expect(stdin).toMatchObject({ code: 0, stdout: expected });
  });

  it('honours --type and prints { predictions } with --json', async () => {
    const result = await runCli(['predict', 'linear.mbnd', '-i', '-', '--type', 'prob', '--json'], {
      cwd,
      input: '{"instances": [{"x1": 0, "x2": 0.5, "group": "a"}]}',
    });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ predictions: [{ '.pred_yes': 0.5, '.pred_no': 0.5 }] });
  });

  it('exits 25 (INVALID_INPUT) for rows that do not match, with the error as JSON under --json', async () => {
    const result = await runCli(['predict', 'linear.mbnd', '-i', '-', '--json'], { cwd, input: '[{"x1": 1, "group": "a"}]' });
    expect(result.code).toBe(ErrorCodes.INVALID_INPUT.exit);
    expect(JSON.parse(result.stdout).error).toMatchObject({ code: 'INVALID_INPUT' });
    expect(JSON.parse(result.stdout).error.message).toContain('missing columns: x2');
    const badJson = await runCli(['predict', 'linear.mbnd', '-i', '-', '--format', 'json'], { cwd, input: '[{' });
    expect(badJson.code).toBe(ErrorCodes.INVALID_INPUT.exit);
    expect(badJson.stderr).toContain('is not valid JSON');
  });

  it('exits 2 for an unsupported --type', async () => {
    const result = await cli('predict', 'linear.mbnd', '-i', 'rows.json', '--type', 'class');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('expected one of: numeric, prob');
  });

  it('exits 16 (UNKNOWN_KIND) for a kind no installed plugin provides', async () => {
    await writeBundle(join(cwd, 'alien.mbnd'), await createBundle(draft({ kind: 'alien.model' })));
    const result = await cli('predict', 'alien.mbnd', '-i', 'rows.json');
    expect(result.code).toBe(ErrorCodes.UNKNOWN_KIND.exit);
    expect(result.stderr).toContain('"alien.model"');
  });

  it('exits 26 (NO_PREDICTOR) for a bundle whose kind cannot predict, in predict and serve alike', async () => {
    const table = await createRegistry({ autoload: false }).registerPlugin(linearPlugin).bundle(createTable());
    await writeBundle(join(cwd, 'table.mbnd'), table);
    const predicted = await cli('predict', 'table.mbnd', '-i', 'rows.json');
    expect(predicted.code).toBe(ErrorCodes.NO_PREDICTOR.exit);
    expect(predicted.stderr).toContain('"example.table" cannot predict');
    const served = await cli('serve', 'table.mbnd', '--port', '0');
    expect(served.code).toBe(ErrorCodes.NO_PREDICTOR.exit);
  });
});

describe('import and export (TensorFlow.js files)', () => {
  it('imports a sharded tfjs model, predicts with it, and exports the same weights', async () => {
    const imported = await cli('import', join(DENSE_TFJS_DIR, 'model.json'), '-o', 'dense.mbnd');
    expect(imported.code).toBe(0);
    expect(imported.stdout).toContain('tfjs.sequential');
    const predicted = await runCli(['predict', 'dense.mbnd', '-i', '-', '--json'], {
      cwd,
      input: '[{"dense_input": [1, 1, 1]}, {"dense_input": [2, 0, -1]}]',
    });
    expect(predicted.code).toBe(0);
    // y0 = x0 + 2·x1 + 3·x2 + 0.5 and y1 = −x0 + 0.25·x2 − 1, from the weights in the shards.
    expect(JSON.parse(predicted.stdout)).toEqual({ predictions: [{ dense: [6.5, -1.75] }, { dense: [-0.5, -3.25] }] });

    const exported = await cli('export', 'dense.mbnd', '--format', 'tfjs', 'exported');
    expect(exported.code).toBe(0);
    const modelJson = JSON.parse(await readFile(join(cwd, 'exported', 'model.json'), 'utf8'));
    const original = Buffer.concat([
      await readFile(join(DENSE_TFJS_DIR, 'group1-shard1of2.bin')),
      await readFile(join(DENSE_TFJS_DIR, 'group1-shard2of2.bin')),
    ]);
    const shards = await Promise.all((modelJson.weightsManifest[0].paths as string[]).map((p) => readFile(join(cwd, 'exported', p))));
    expect(Buffer.concat(shards).equals(original)).toBe(true);
    expect(modelJson.weightsManifest[0].weights.map((w: { name: string }) => w.name)).toEqual(['dense/kernel', 'dense/bias']);
  });

  it('exits 27 (IO_ERROR) when the model.json is missing', async () => {
    const result = await cli('import', 'nowhere/model.json', '-o', 'x.mbnd');
    expect(result.code).toBe(ErrorCodes.IO_ERROR.exit);
  });
});

/** A change that flips one byte at `at`. */
function flipByte(at: number) {
  return (bytes: Uint8Array) => {
    bytes[at] = (bytes[at] as number) ^ 1;
    return bytes;
  };
}

/** A change that writes `major` into the prefix's format major (bytes 8..9, little-endian). */
function setMajor(major: number) {
  return (bytes: Uint8Array) => {
    new DataView(bytes.buffer, bytes.byteOffset).setUint16(8, major, true);
    return bytes;
  };
}
