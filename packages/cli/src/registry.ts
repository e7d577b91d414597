import { createRegistry, type Header, loadDeclaredPlugin, type ModelBundlePlugin, type Registry } from '@modelbundle/core';

/** The plugins this command line ships with, by package; each is imported only when a bundle needs it. */
const KNOWN_PLUGINS: Record<string, () => Promise<ModelBundlePlugin>> = {
  '@modelbundle/tfjs': async () => (await import('@modelbundle/tfjs')).tfjsPlugin,
  '@modelbundle/workflows': async () => (await import('@modelbundle/workflows')).workflowsPlugin,
};

/**
 * The registry the command line uses. The plugins it ships with are
 * registered explicitly: at once for those the header names (its
 * serializer's package or a required package, so requirement checks see
 * their runtime versions), on demand for the rest. A plugin package the
 * command line does not ship is autoloaded when installed where it runs.
 */
export async function cliRegistry(header?: Header): Promise<Registry> {
  const registry = createRegistry({
    autoload: async (pkg) => (KNOWN_PLUGINS[pkg] ? KNOWN_PLUGINS[pkg]() : loadDeclaredPlugin(pkg)),
  });
  const named = new Set([header?.serializer.package, ...Object.keys(header?.requires ?? {})]);
  for (const [pkg, load] of Object.entries(KNOWN_PLUGINS)) {
    if (!header || named.has(pkg)) registry.registerPlugin(await load());
  }
  // A model imported from Keras may use tfjs classes of @modelbundle/keras (its summary lists them): register them.
  const keras = (header?.summary as { keras?: { kerasClasses?: unknown[] } } | undefined)?.keras;
  if (keras?.kerasClasses?.length) (await import('@modelbundle/keras')).registerKerasLayers();
  return registry;
}
