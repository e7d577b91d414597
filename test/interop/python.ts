import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Debian's Python, where scripts/system-deps.sh installs msgpack and numpy. */
export const PYTHON = process.env.MODELBUNDLE_PYTHON ?? '/usr/bin/python3';

/** The second reader, written from docs/FORMAT.md. */
export const READER = join(dirname(fileURLToPath(import.meta.url)), 'python', 'modelbundle_reader.py');

/** Runs the Python reader in a child process; `stdin` is sent as its input. */
export function runReader(args: string[], stdin?: string): { status: number | null; stdout: string; stderr: string; json: unknown } {
  const result = spawnSync(PYTHON, [READER, ...args], { input: stdin, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (result.error) throw result.error;
  let json: unknown;
  try {
    json = JSON.parse(result.stdout);
  } catch {
    json = undefined;
  }
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, json };
}

/** Null when Python has what the reader needs; otherwise what to do about it. */
export function missingPythonDeps(): string | null {
  const result = spawnSync(PYTHON, ['-c', 'import msgpack, numpy'], { encoding: 'utf8' });
  if (result.status === 0) return null;
  return `${PYTHON} cannot import msgpack and numpy (${(result.stderr || String(result.error)).trim()}). Run scripts/system-deps.sh as root (it installs python3-msgpack and python3-numpy), or set MODELBUNDLE_PYTHON.`;
}

/** Evaluates a Python expression with the reader imported as `r` and `args` (JSON) bound; returns its JSON value. */
export function pythonEval(expression: string, args: unknown): unknown {
  const script = `import json, sys; sys.path.insert(0, ${JSON.stringify(dirname(READER))}); import modelbundle_reader as r; args = json.load(sys.stdin); print(json.dumps(${expression}))`;
  const result = spawnSync(PYTHON, ['-B', '-c', script], { input: JSON.stringify(args), encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`Python failed: ${result.stderr || result.error}`);
  return JSON.parse(result.stdout);
}
