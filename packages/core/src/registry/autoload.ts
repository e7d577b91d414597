import { ModelBundleError } from '../errors.js';
import type { PackageLocator } from './collaborators.js';
import { locatePackage, locatePluginPackage } from './locate.js';
import type { ModelBundlePlugin } from './serializer.js';

/** npm's package name grammar (lower case, optional scope); rules out paths (`../x`, `/abs`) and URLs (`data:`, `file:`). */
const NPM_PACKAGE_NAME = /^(?:@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/;

/** Where a {@link PluginLoader} looks for packages. */
export interface PluginLoaderContext {
  /** The folder whose `node_modules` holds plugin packages (default: the working directory); its ancestors are never searched. */
  from?: string;
  /**
   * How packages are found; a registry passes its PACKAGE_LOCATOR. The default
   * ({@link locatePackage}) is replaced here by the strict {@link locatePluginPackage}
   * (no ancestor folders, the manifest's own entry file); a locator a host registered is used as given.
   */
  locate?: PackageLocator;
}

/** Loads the plugin a package provides, or returns undefined when it cannot. */
export type PluginLoader = (packageName: string, context?: PluginLoaderContext) => Promise<ModelBundlePlugin | undefined>;

/** What autoload would do for a package name: see {@link describeAutoload}. */
export interface AutoloadPlan {
  package: string;
  /** `load`: it would import `entry`; otherwise why it would import nothing. */
  status: 'load' | 'invalid-name' | 'not-installed' | 'not-a-plugin' | 'bad-entry';
  /** The folder whose `node_modules` was searched. */
  from: string | null;
  /** The package folder found, if any. */
  dir?: string;
  /** The exact file that would be imported (status `load`), as a path and as the URL given to `import()`. */
  entry?: string;
  entryUrl?: string;
  /** The export holding the plugin (status `load`). */
  exportName?: string;
  /** Why the entry was refused (status `bad-entry`). */
  reason?: string;
}

/**
 * What {@link loadDeclaredPlugin} would import for `packageName`, without
 * importing anything: the package folder (only `<from>/node_modules/<name>`,
 * never an ancestor's), whether its package.json declares a plugin, and the
 * exact entry file (inside that folder, a regular file).
 */
export function describeAutoload(packageName: string, context: PluginLoaderContext = {}): AutoloadPlan {
  const from = context.from ?? globalThis.process?.cwd?.() ?? null;
  // The name comes from the file: only a plain npm package name may reach the resolver, never a path or URL.
  if (!NPM_PACKAGE_NAME.test(packageName)) return { package: packageName, status: 'invalid-name', from };
  const locate = context.locate && context.locate !== locatePackage ? context.locate : locatePluginPackage;
  const located = locate(packageName, context.from);
  if (!located) return { package: packageName, status: 'not-installed', from };
  const exportName = located.manifest.modelbundle?.plugin;
  if (typeof exportName !== 'string') return { package: packageName, status: 'not-a-plugin', from, dir: located.dir };
  try {
    const entryUrl = located.entryUrl();
    return { package: packageName, status: 'load', from, dir: located.dir, entry: decodeURIComponent(new URL(entryUrl).pathname), entryUrl, exportName };
  } catch (cause) {
    return { package: packageName, status: 'bad-entry', from, dir: located.dir, reason: (cause as Error).message };
  }
}

/**
 * The default loader: imports a package only if it is installed in
 * `<context.from>/node_modules` (default the working directory; never an
 * ancestor folder) and its package.json declares
 * `"modelbundle": { "plugin": "<export name>" }`; it imports exactly the
 * entry file that manifest names, inside that package folder. Anything else
 * is left alone: undefined is returned and nothing is imported.
 */
export const loadDeclaredPlugin: PluginLoader = async (packageName, context = {}) => {
  const plan = describeAutoload(packageName, context);
  if (plan.status === 'bad-entry') {
    throw new ModelBundleError(
      'UNKNOWN_KIND',
      `Autoloading the modelbundle plugin "${packageName}" was refused (${plan.dir}): ${plan.reason}. Reinstall the package, or import and register it yourself.`,
      { details: { package: packageName } },
    );
  }
  if (plan.status !== 'load') return undefined;
  const exportName = plan.exportName as string;
  let module: Record<string, unknown>;
  try {
    module = (await import(/* @vite-ignore */ plan.entryUrl as string)) as Record<string, unknown>;
  } catch (cause) {
    throw new ModelBundleError(
      'UNKNOWN_KIND',
      `Autoloading the modelbundle plugin "${packageName}" failed while importing it (${plan.entry}): ${(cause as Error).message}. Reinstall the package, or import and register it yourself.`,
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
