import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Bundle, createRegistry, type Registry } from '@modelbundle/core';
import { writeBundle } from '@modelbundle/core/node';
import { createLinearModel, type LinearModel, linearPlugin } from './fixtures/linear-plugin/index.js';

/** Where the example plugin package lives (a real package directory, installable with npm). */
export const LINEAR_PLUGIN_DIR = new URL('./fixtures/linear-plugin/', import.meta.url).pathname;

/** A registry that knows only the example linear plugin, with autoload off so nothing else sneaks in. */
export function linearRegistry(): Registry {
  return createRegistry({ autoload: false }).registerPlugin(linearPlugin);
}

/** Bundles a linear model (y = 2·x1 − x2 + 0.5 + offset[group] by default). */
export async function linearBundle(options: Partial<Omit<LinearModel, 'type'>> = {}): Promise<Bundle> {
  return linearRegistry().bundle(createLinearModel(options), { metadata: { name: 'linear-demo' }, created: '2026-01-01T00:00:00.000Z' });
}

/** Writes a linear bundle to a fresh temp directory and returns its path. */
export async function linearBundleFile(options: Partial<Omit<LinearModel, 'type'>> = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'modelbundle-serve-'));
  const path = join(dir, 'linear.mbnd');
  await writeBundle(path, await linearBundle(options));
  return path;
}
