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

/** A long-running command line process (serve, start), with its output so far. */
export interface RunningCli {
  child: import('node:child_process').ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `pattern` in stdout (rejects if the process ends first). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code once the process ends. */
  exited: Promise<number | null>;
}

/** Starts `node <script> <args>` without waiting for it to end. */
export function startProcess(script: string, args: readonly string[], options: { cwd?: string; env?: Record<string, string> } = {}): RunningCli {
  const child = spawn(process.execPath, [script, ...args], {
    cwd: options.cwd,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    waitFor: (pattern, timeoutMs = 60_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => finish(new Error(`timed out waiting for ${pattern}; stdout: ${stdout}; stderr: ${stderr}`)), timeoutMs);
        const check = () => {
          const match = stdout.match(pattern);
          if (match) finish(undefined, match);
        };
        const onExit = () => finish(new Error(`process ended before printing ${pattern}; stdout: ${stdout}; stderr: ${stderr}`));
        function finish(error?: Error, match?: RegExpMatchArray) {
          clearTimeout(timer);
          child.stdout?.off('data', check);
          child.off('close', onExit);
          if (error) reject(error);
          else resolve(match as RegExpMatchArray);
        }
        child.stdout?.on('data', check);
        child.on('close', onExit);
        check();
      }),
  };
}
