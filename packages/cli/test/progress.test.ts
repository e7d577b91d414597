import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createBundle } from '@modelbundle/core';
import { writeBundle } from '@modelbundle/core/node';
import { draft } from '@modelbundle/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, projectDir, runCli } from './helpers.js';

const exec = promisify(execFile);
let cwd: string;

beforeAll(async () => {
  cwd = await projectDir();
  const blob = new Uint8Array(40 * 1024 * 1024).fill(7);
  await writeBundle(join(cwd, 'large.mbnd'), await createBundle(draft({ kind: 'example.large' }), [['blob', blob]]));
  expect((await runCli(['keygen', 'keys'], { cwd })).code).toBe(0);
});

describe('progress bar for large reads and writes', () => {
  it('stays off when stderr is not a terminal', async () => {
    const result = await runCli(['verify', 'large.mbnd'], { cwd });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
  });

  // util-linux `script` runs the command on a pseudo-terminal, as a user's shell would.
  it.runIf(existsSync('/usr/bin/script'))('shows on a terminal, without colour blocks under NO_COLOR', async () => {
    const command = `node ${CLI} verify large.mbnd`;
    const colour = await exec('script', ['-qec', command, '/dev/null'], { cwd, env: { ...process.env, NO_COLOR: '' } });
    expect(colour.stdout).toContain('reading');
    expect(colour.stdout).toContain('of 40.0 MiB');
    expect(colour.stdout).toContain('\u2588');
    expect(colour.stdout).toContain('large.mbnd: intact');
    const plain = await exec('script', ['-qec', command, '/dev/null'], { cwd, env: { ...process.env, NO_COLOR: '1' } });
    expect(plain.stdout).toContain('of 40.0 MiB');
    expect(plain.stdout).not.toContain('\u2588');
    expect(plain.stdout).not.toContain(`${String.fromCharCode(27)}[32m`); // no green "ok" marks
  });

  it('stays off for a write when stderr is not a terminal', async () => {
    const result = await runCli(['sign', 'large.mbnd', '--key', 'keys/modelbundle.key', '-o', 'signed-pipe.mbnd'], { cwd });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
  });

  it.runIf(existsSync('/usr/bin/script'))('shows while sign -o writes a large bundle on a terminal', async () => {
    const command = `node ${CLI} sign large.mbnd --key keys/modelbundle.key -o signed-tty.mbnd`;
    const result = await exec('script', ['-qec', command, '/dev/null'], { cwd, env: { ...process.env, NO_COLOR: '1' } });
    expect(result.stdout).toContain('reading');
    expect(result.stdout).toContain('writing');
    expect(result.stdout).toContain('of 40.0 MiB');
    expect(result.stdout).toContain('Signed signed-tty.mbnd');
    expect((await runCli(['verify', 'signed-tty.mbnd', '--public-key', 'keys/modelbundle.pub'], { cwd })).code).toBe(0);
  });
});
