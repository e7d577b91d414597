import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { fit } from './fit.js';
import type { FittedWorkflow } from './fitted.js';
import type { SequentialSpec } from './spec/types.js';
import { sequentialSpec } from './spec/validate.js';

/** Absolute path of the shipped Palmer penguins data (CC0; see data/README.md). */
export const PENGUINS_PATH = fileURLToPath(new URL('../data/penguins.json', import.meta.url));

/** One penguin: `null` marks a missing measurement. */
export type PenguinRow = {
  Species: string;
  Island: string;
  'Beak Length (mm)': number | null;
  'Beak Depth (mm)': number | null;
  'Flipper Length (mm)': number | null;
  'Body Mass (g)': number | null;
  Sex: string | null;
};

/** Reads the 344 penguins of the shipped data set. */
export async function loadPenguins(): Promise<PenguinRow[]> {
  return JSON.parse(await readFile(PENGUINS_PATH, 'utf8')) as PenguinRow[];
}

/** The demo's spec: two small dense layers classifying the species. */
export const demoSpec: SequentialSpec = sequentialSpec({
  mode: 'classification',
  blocks: [{ block: 'dense', repeat: 2, args: { units: 8 } }],
  fit: { epochs: 10, batchSize: 32, seed: 42 },
});

/**
 * Fits the demo workflow: penguin species from island, beak, flipper, mass
 * and sex, on the shipped data, in about a second. Predict with
 * `predict(workflow, rows, { type: 'class' | 'prob' })`.
 */
export async function fitDemo(options: { epochs?: number } = {}): Promise<FittedWorkflow> {
  const spec = options.epochs === undefined ? demoSpec : { ...demoSpec, fit: { ...demoSpec.fit, epochs: options.epochs } };
  return fit(spec, await loadPenguins(), { outcome: 'Species' });
}
