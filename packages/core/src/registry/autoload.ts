import { ModelBundleError } from '../errors.js';
import type { PackageLocator } from './collaborators.js';
import { locatePackage } from './locate.js';
import type { ModelBundlePlugin } from './serializer.js';

/** npm's package name grammar (lower case, optional scope); rules out paths (`../x`, `/abs`) and URLs (`data:`, `file:`). */
const NPM_PACKAGE_NAME = /^(?:@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/;

/** Where a {@link PluginLoader} looks for packages. */
export interface PluginLoaderContext {
  /** Folder that package resolution starts from (default: the working directory). */
  from?: string;
  /** How packages are found (default: {@link locatePackage}); a registry passes its PACKAGE_LOCATOR. */
  locate?: PackageLocator;
}

/** Loads the plugin a package provides, or returns undefined when it cannot. */
export type PluginLoader = (packageName: string, context?: PluginLoaderContext) => Promise<ModelBundlePlugin | undefined>;

/**
 * The default loader: imports a package only if it is installed (resolved
 * from `context.from`, default the working directory) and its package.json
 * declares `"modelbundle": { "plugin": "<export name>" }`. Anything else is
 * left alone: undefined is returned and nothing is imported.
 */
export const loadDeclaredPlugin: PluginLoader = async (packageName, context = {}) => {
  // The name comes from the file: only a plain npm package name may reach the resolver, never a path or URL.
  if (!NPM_PACKAGE_NAME.test(packageName)) return undefined;
  const located = (context.locate ?? locatePackage)(packageName, context.from);
  const exportName = located?.manifest.modelbundle?.plugin;
  if (!located || typeof exportName !== 'string') return undefined;
  let module: Record<string, unknown>;
  try {
    module = (await import(/* @vite-ignore */ located.entryUrl())) as Record<string, unknown>;
  } catch (cause) {
    throw new ModelBundleError(
      'UNKNOWN_KIND',
      `Autoloading the modelbundle plugin "${packageName}" failed while importing it (${located.dir}): ${(cause as Error).message}. Reinstall the package, or import and register it yourself.`,
      { cause, details: { package: packageName } },
    );
  }
  const plugin = module[exportName] as ModelBundlePlugin | undefined;
  if (!plugin || !Array.isArray(plugin.serializers)) {
    throw new ModelBundleError(
      'UNKNOWN_KIND',
      `Package "${packageName}" declares the modelbundle plugin export "${exportName}" in its package.json, but its main entry exports no plugin by that name. Fix the package's "modelbundle.plugin" field.`,
      { details: { package: packageName } },
    );
  }
  return plugin;
};
