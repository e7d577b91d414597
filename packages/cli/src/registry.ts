import { createRegistry, type Header, loadDeclaredPlugin, type ModelBundlePlugin, type Registry } from '@modelbundle/core';
import { needsKerasLayers } from './keras-layers.js';

/** The plugins this command line ships with, by package; each is imported only when a bundle needs it. */
const KNOWN_PLUGINS: Record<string, () => Promise<ModelBundlePlugin>> = {
  '@modelbundle/tfjs': async () => (await import('@modelbundle/tfjs')).tfjsPlugin,
  '@modelbundle/workflows': async () => (await import('@modelbundle/workflows')).workflowsPlugin,
};

let autoloadEnabled = true;

/**
 * Turns autoload of plugin packages the command line does not ship on or off for this process
 * (`--no-autoload`). The shipped plugins are registered explicitly either way.
 */
export function setAutoload(enabled: boolean): void {
  autoloadEnabled = enabled;
}

/** True when the package ships with the command line (registered explicitly, never autoloaded). */
export function isShippedPlugin(pkg: string): boolean {
  return Object.hasOwn(KNOWN_PLUGINS, pkg);
}

/**
 * The registry the command line uses. The plugins it ships with are
 * registered explicitly: at once for those the header names (its
 * serializer's package or a required package, so requirement checks see
 * their runtime versions), on demand for the rest. A plugin package the
 * command line does not ship is autoloaded only from `./node_modules` of the
 * working directory (never an ancestor's), and not at all with `--no-autoload`.
 */
export async function cliRegistry(header?: Header): Promise<Registry> {
  const registry = createRegistry({
    autoload: async (pkg) =>
      isShippedPlugin(pkg) ? (KNOWN_PLUGINS[pkg] as () => Promise<ModelBundlePlugin>)() : autoloadEnabled ? loadDeclaredPlugin(pkg) : undefined,
  });
  const named = new Set([header?.serializer.package, ...Object.keys(header?.requires ?? {})]);
  for (const [pkg, load] of Object.entries(KNOWN_PLUGINS)) {
    if (!header || named.has(pkg)) registry.registerPlugin(await load());
  }
  if (needsKerasLayers(header)) (await import('@modelbundle/keras')).registerKerasLayers();
  return registry;
}
