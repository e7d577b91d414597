import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRegistry, type Registry } from '@modelbundle/core';
import { writeBundle } from '@modelbundle/core/node';
import { fit as fitWorkflow, workflowsPlugin } from '@modelbundle/workflows';
import { demoSpec, loadPenguins } from '@modelbundle/workflows/demo';

/** A registry that restores fitted workflows only (no autoload: nothing else sneaks in). */
export function workflowsRegistry(): Registry {
  return createRegistry({ autoload: false }).registerPlugin(workflowsPlugin);
}

/** A fitted penguin-species workflow written as a bundle file, and rows to predict. */
export interface PenguinBundle {
  path: string;
  /** Penguins without their species, some with missing values. */
  rows: Record<string, unknown>[];
  cleanup(): Promise<void>;
}

/**
 * Fits the demo's species workflow (few epochs: the weights only need to be
 * real, not good), refusing levels unseen at fit time, and writes its bundle.
 */
export async function penguinBundle(): Promise<PenguinBundle> {
  const penguins = await loadPenguins();
  const spec = { ...demoSpec, fit: { ...demoSpec.fit, epochs: 2 } };
  const workflow = await fitWorkflow(spec, penguins, { outcome: 'Species', unseenLevels: 'error' });
  const dir = await mkdtemp(join(tmpdir(), 'modelbundle-load-'));
  const path = join(dir, 'penguins.mbnd');
  await writeBundle(path, await workflowsRegistry().bundle(workflow, { metadata: { name: 'penguins' } }));
  // Eight penguins from the three islands; five have missing measurements or sex (null).
  const rows = [0, 3, 8, 47, 150, 246, 300, 339].map((i) => {
    const { Species: _, ...row } = penguins[i]!;
    return row;
  });
  return { path, rows, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
