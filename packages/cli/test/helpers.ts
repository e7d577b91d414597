import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LINEAR_PLUGIN_DIR } from '../../serve/test/helpers.js';

/** The built command line. */
export const CLI = new URL('../dist/bin.js', import.meta.url).pathname;
/** A real TensorFlow.js model directory: a Dense(3 → 2) layer with weights in two shards. */
export const DENSE_TFJS_DIR = new URL('./fixtures/dense-tfjs/', import.meta.url).pathname;

/** What a finished command line process left. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `modelbundle <args>` in a child process, optionally feeding stdin. */
export function runCli(args: readonly string[], options: { cwd?: string; input?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: options.cwd,
      env: { ...process.env, NO_COLOR: '1', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/**
 * A fresh working directory where the example linear plugin is installed
 * (node_modules link), as a user's project with a third-party plugin would be.
 */
export async function projectDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'modelbundle-cli-'));
  await mkdir(join(dir, 'node_modules'));
  await symlink(LINEAR_PLUGIN_DIR, join(dir, 'node_modules', 'modelbundle-example-linear'), 'dir');
  return dir;
}
