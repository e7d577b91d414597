import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type FittedWorkflow, fit, functionalSpec, type Mode, type ModelSpec, sequentialSpec } from '@modelbundle/workflows';

const run = promisify(execFile);

/** The package root: scripts written below it resolve @modelbundle/workflows (self-reference) and its dependencies. */
export const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
/** The repository root: its package.json lists @modelbundle/workflows, as an application would. */
export const REPO_ROOT = join(PACKAGE_DIR, '..', '..');

export type Row = Record<string, unknown>;

/** The shipped penguins. */
export async function penguins(): Promise<Row[]> {
  return JSON.parse(await readFile(join(PACKAGE_DIR, 'data', 'penguins.json'), 'utf8'));
}

/** Outcome column per mode, on the penguins data. */
export const OUTCOME: Record<Mode, string> = { classification: 'Species', regression: 'Body Mass (g)' };

/** Tiny specs: few units, few epochs (the machine is small and shared). */
export function tinySpec(type: 'sequential' | 'functional', mode: Mode): ModelSpec {
  const fitArgs = { epochs: 3, batchSize: 64, seed: 7 };
  if (type === 'sequential') return sequentialSpec({ mode, blocks: [{ block: 'dense', repeat: 2, args: { units: 6 } }], fit: fitArgs });
  return functionalSpec({
    mode,
    nodes: {
      wide: { block: 'dense', inputs: ['input'], args: { units: 4 } },
      deep: { block: 'dense', inputs: ['input'], repeat: 2, args: { units: 4, activation: 'tanh' } },
      joined: { block: 'concatenate', inputs: ['wide', 'deep'] },
    },
    output: 'joined',
    fit: fitArgs,
  });
}

export interface Case {
  name: string;
  mode: Mode;
  type: 'sequential' | 'functional';
  workflow: FittedWorkflow;
  /** Rows without the outcome, some with missing values. */
  rows: Row[];
  /** Prediction types to compare. */
  types: ('class' | 'prob' | 'numeric')[];
}

/** Fits the four combinations: sequential and functional, classification and regression. */
export async function fitCases(): Promise<Case[]> {
  const data = await penguins();
  const cases: Case[] = [];
  for (const type of ['sequential', 'functional'] as const) {
    for (const mode of ['classification', 'regression'] as const) {
      const outcome = OUTCOME[mode];
      const workflow = await fit(tinySpec(type, mode), data, { outcome });
      // Rows 0..5 and 339..343 include missing measurements and a missing sex.
      const rows = [...data.slice(0, 6), ...data.slice(-5)].map(({ [outcome]: _, ...rest }) => rest);
      cases.push({ name: `${type} ${mode}`, mode, type, workflow, rows, types: mode === 'classification' ? ['class', 'prob'] : ['numeric'] });
    }
  }
  return cases;
}

/** A fresh folder under the package (ignored by git), removed by the returned function. */
export async function scratchDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const base = join(PACKAGE_DIR, 'test', '.cache');
  await mkdir(base, { recursive: true });
  const dir = await mkdtemp(join(base, 'run-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Writes `source` as an .mjs file and runs it in a new node process; returns its stdout. Fails with the child's stderr. */
export async function runScript(file: string, source: string, options: { cwd?: string; args?: string[] } = {}): Promise<string> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, source);
  try {
    const { stdout } = await run(process.execPath, ['--no-warnings=ExperimentalWarning', file, ...(options.args ?? [])], {
      cwd: options.cwd ?? dirname(file),
      maxBuffer: 64 * 1024 * 1024,
      timeout: 90_000,
    });
    return stdout;
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`${file} failed: ${e.message}\n${e.stderr ?? ''}`);
  }
}
