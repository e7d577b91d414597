import { ModelBundleError } from '../errors.js';
import { locatePackage } from './locate.js';
import type { ModelBundlePlugin } from './serializer.js';

/** Loads the plugin a package provides, or returns undefined when it cannot. */
export type PluginLoader = (packageName: string) => Promise<ModelBundlePlugin | undefined>;

/**
 * The default loader: imports a package only if it is installed (resolved
 * from the working directory) and its package.json declares
 * `"modelbundle": { "plugin": "<export name>" }`. Anything else is left alone.
 */
export const loadDeclaredPlugin: PluginLoader = async (packageName) => {
  const located = locatePackage(packageName);
  const exportName = located?.manifest.modelbundle?.plugin;
  if (!located || typeof exportName !== 'string') return undefined;
  const module = (await import(/* @vite-ignore */ located.resolve(packageName))) as Record<string, unknown>;
  const plugin = module[exportName] as ModelBundlePlugin | undefined;
  if (!plugin || !Array.isArray(plugin.serializers)) {
    throw new ModelBundleError(
      'UNKNOWN_KIND',
      `Package "${packageName}" declares the modelbundle plugin export "${exportName}" in its package.json, but its main entry exports no plugin by that name. Fix the package's "modelbundle.plugin" field.`,
    );
  }
  return plugin;
};
