import { chmod, lstat, readFile, readlink, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeBundle } from '@modelbundle/core/node';
import { beforeAll, describe, expect, it } from 'vitest';
import { createLinearModel } from '../../serve/test/fixtures/linear-plugin/index.js';
import { linearRegistry } from '../../serve/test/helpers.js';
import { csvCell, toCsv } from '../src/csv.js';
import { projectDir, runCli } from './helpers.js';

let cwd: string;
const cli = (...args: string[]) => runCli(args, { cwd });
/** What a terminal would act on: ESC, CSI (0x9b), CR, and any other C0/C1 control except the newline ending each line. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: looking for control characters is the point
const TERMINAL_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/;

beforeAll(async () => {
  cwd = await projectDir();
  const hostile = {
    '\u001b[1A\u001b[2K\rSignature verified: signed by sha256:trusted': 'x',
    note: 'line one\nfaked line\u009b2J \u202eevil',
  };
  await writeBundle(join(cwd, 'hostile.mbnd'), await linearRegistry().bundle(createLinearModel(), { metadata: hostile }));
});

describe('control characters from a bundle or a request never reach the terminal', () => {
  it('inspect escapes them in every field it prints', async () => {
    const result = await cli('inspect', 'hostile.mbnd');
    expect(result.code).toBe(0);
    expect(result.stdout).not.toMatch(TERMINAL_CONTROL);
    expect(result.stdout).toContain('\\x1b[1A\\x1b[2K\\rSignature verified');
    expect(result.stdout.split('\n').filter((line) => line.startsWith('Signature verified'))).toEqual([]);
  });

  it('error messages escape them, on stderr and in --json', async () => {
    await writeFile(join(cwd, 'rows.json'), JSON.stringify([{ x1: 1, x2: 2, group: 'a', '\u001b[2J\u001b[Hok': 1 }]));
    const result = await cli('predict', 'hostile.mbnd', '--input', 'rows.json');
    expect(result.code).not.toBe(0);
    expect(result.stderr).not.toMatch(TERMINAL_CONTROL);
    expect(result.stderr).toContain('\\x1b[2J');
    const json = await cli('predict', 'hostile.mbnd', '--input', 'rows.json', '--json');
    expect(JSON.parse(json.stdout).error.message).toContain('\\x1b[2J\\x1b[Hok');
  });
});

describe('CSV predictions are safe to open in a spreadsheet', () => {
  it('neutralises cells that would start a formula, and keeps numbers as numbers', () => {
    expect(csvCell('=HYPERLINK("http://example.invalid","x")')).toBe(`"'=HYPERLINK(""http://example.invalid"",""x"")"`);
    for (const cell of ['+1+1', '-1+1', '@SUM(A1)', '\tx', '\rx']) expect(csvCell(cell).startsWith("'")).toBe(true);
    expect(csvCell(-1.5)).toBe('-1.5');
    expect(csvCell('-2.5e3')).toBe('-2.5e3');
    expect(csvCell('Adelie')).toBe('Adelie');
    expect(csvCell('a\nb')).toBe('a\\nb');
    expect(toCsv([{ species: '=1+1', p: 0.5 }])).toEqual(['species,p', "'=1+1,0.5"]);
  });
});

describe('keygen --force', () => {
  it('replaces a world-readable key with a new file of mode 0600, never writing through the old one', async () => {
    const first = await cli('keygen', 'keys', '--name', 'k');
    expect(first.code).toBe(0);
    const keyPath = join(cwd, 'keys/k.key');
    await chmod(keyPath, 0o666);
    const old = await stat(keyPath);
    const oldText = await readFile(keyPath, 'utf8');
    const replaced = await cli('keygen', 'keys', '--name', 'k', '--force');
    expect(replaced.code, replaced.stderr).toBe(0);
    const now = await stat(keyPath);
    expect(now.mode & 0o777).toBe(0o600);
    expect(now.ino).not.toBe(old.ino);
    expect(await readFile(keyPath, 'utf8')).not.toBe(oldText);

    // A key path that is a symlink: the link is replaced, its target is left alone.
    await writeFile(join(cwd, 'elsewhere.txt'), 'not a key', { mode: 0o644 });
    await symlink(join(cwd, 'elsewhere.txt'), join(cwd, 'keys/s.key'));
    await writeFile(join(cwd, 'keys/s.pub'), 'old public key');
    expect((await cli('keygen', 'keys', '--name', 's', '--force')).code).toBe(0);
    expect(await readFile(join(cwd, 'elsewhere.txt'), 'utf8')).toBe('not a key');
    expect((await lstat(join(cwd, 'keys/s.key'))).isSymbolicLink()).toBe(false);
    expect((await stat(join(cwd, 'keys/s.key'))).mode & 0o777).toBe(0o600);
    await expect(readlink(join(cwd, 'keys/s.key'))).rejects.toThrow();
  });
});
