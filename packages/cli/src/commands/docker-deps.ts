import { CORE_VERSION, describeAutoload, type Header, ModelBundleError } from '@modelbundle/core';
import { preview } from '@modelbundle/core/internal';
import { installedVersion } from '../installed.js';
import { needsKerasLayers } from '../keras-layers.js';

/**
 * What `modelbundle docker` may install in the image. A bundle's header is
 * written by whoever made the file: if its `requires` or its serializer
 * package went into the generated package.json, a hostile bundle would get
 * its own package installed and run in the image. So dependencies come only
 * from this allow-list (the @modelbundle packages and TensorFlow.js packages
 * a shipped plugin needs) and from the plugins the operator names with
 * `--plugin`; every name is checked against npm's grammar and every version
 * is a plain version or range (never a URL, path or git spec).
 */

/** npm's package name grammar (lower case, optional scope). */
const NPM_NAME = /^(?:@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/;
/** A version, range or dist-tag: no `:` or `/`, so no `file:`, `git+https://`, `github:x/y` or path. */
const VERSION = /^[0-9A-Za-z.+\-^~<>=| *]{1,64}$/;
/** A JavaScript identifier, for the plugin's export name in the generated server. */
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]{0,127}$/;

/** The plugins this command line ships, with their export and the packages they need at run time. */
const SHIPPED: Record<string, { exportName: string; runtime: string[] }> = {
  '@modelbundle/tfjs': {
    exportName: 'tfjsPlugin',
    runtime: ['@tensorflow/tfjs-core', '@tensorflow/tfjs-layers', '@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-wasm'],
  },
  '@modelbundle/workflows': {
    exportName: 'workflowsPlugin',
    runtime: ['@modelbundle/tfjs', '@tensorflow/tfjs-core', '@tensorflow/tfjs-layers', '@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-wasm'],
  },
};

/** A plugin the generated server imports and registers explicitly. */
export interface DeployedPlugin {
  package: string;
  exportName: string;
}

/** What goes into the deployment: exact dependencies, the plugins to register, and what was left out. */
export interface DeploymentPlan {
  dependencies: Record<string, string>;
  plugins: DeployedPlugin[];
  /** Requirements of the header that are not on the allow-list: not installed in the image. */
  ignored: string[];
  /** The model was imported from Keras and uses classes of @modelbundle/keras: the server registers them. */
  kerasLayers: boolean;
}

/** Parses `--plugin name` or `--plugin name@range`, refusing anything that is not an npm name and a plain version. */
export function parsePluginOption(spec: string): { name: string; version?: string } {
  const at = spec.lastIndexOf('@');
  const [name, version] = at > 0 ? [spec.slice(0, at), spec.slice(at + 1)] : [spec, undefined];
  if (!NPM_NAME.test(name) || (version !== undefined && !VERSION.test(version))) {
    throw new ModelBundleError(
      'INVALID_ARGUMENT',
      `--plugin ${preview(spec)} is not an npm package name with an optional @version (a version or range; no URL, path or git spec).`,
      { details: { plugin: preview(spec) } },
    );
  }
  return version === undefined ? { name } : { name, version };
}

/**
 * The deployment of a bundle: @modelbundle/core and /serve, the shipped plugin
 * its kind needs (or, for another kind, the operator's `--plugin`), each pinned
 * to what is installed here when possible. Refuses a bundle whose plugin is
 * neither shipped nor named by the operator.
 */
export function planDeployment(header: Header, operatorPlugins: readonly string[], satisfied: ReadonlyMap<string, string>): DeploymentPlan {
  const dependencies: Record<string, string> = {
    '@modelbundle/core': CORE_VERSION,
    '@modelbundle/serve': installedVersion('@modelbundle/serve') ?? CORE_VERSION,
  };
  const plugins: DeployedPlugin[] = [];
  const allowed = new Set(Object.keys(dependencies));
  const pin = (name: string, version?: string) => {
    const chosen = version ?? satisfied.get(name) ?? installedVersion(name);
    if (chosen === null || chosen === undefined || !VERSION.test(chosen)) {
      throw new ModelBundleError('INVALID_ARGUMENT', `${name} is not installed here, so its version is unknown; give it as --plugin ${name}@<version>.`, {
        details: { package: name },
      });
    }
    dependencies[name] = chosen;
    allowed.add(name);
  };
  const pkg = typeof header.serializer.package === 'string' ? header.serializer.package : '';
  // Own keys only: the name comes from the header (`__proto__` must not find Object.prototype).
  const shipped = Object.hasOwn(SHIPPED, pkg) ? SHIPPED[pkg] : undefined;
  if (shipped) {
    pin(pkg);
    for (const runtime of shipped.runtime) if (satisfied.has(runtime) || installedVersion(runtime)) pin(runtime);
    plugins.push({ package: pkg, exportName: shipped.exportName });
  }
  for (const spec of operatorPlugins) {
    const { name, version } = parsePluginOption(spec);
    pin(name, version);
    if (Object.hasOwn(SHIPPED, name)) {
      if (!plugins.some((p) => p.package === name)) plugins.push({ package: name, exportName: (SHIPPED[name] as { exportName: string }).exportName });
      continue;
    }
    const declared = describeAutoload(name).exportName;
    const fromHeader = name === pkg ? header.serializer.plugin : undefined;
    const exportName = declared ?? (typeof fromHeader === 'string' ? fromHeader : undefined);
    if (exportName === undefined || !IDENTIFIER.test(exportName)) {
      throw new ModelBundleError(
        'INVALID_ARGUMENT',
        `--plugin ${name}: the plugin's export name is unknown (the package is not installed here with "modelbundle": { "plugin": ... } in its package.json). Install it here first.`,
        { details: { package: name } },
      );
    }
    plugins.push({ package: name, exportName });
  }
  const kerasLayers = needsKerasLayers(header);
  if (kerasLayers) pin('@modelbundle/keras');
  if (!shipped && !plugins.some((p) => p.package === pkg)) {
    throw new ModelBundleError(
      'INVALID_ARGUMENT',
      `The bundle's serializer package is ${preview(pkg)}, which this command line does not ship, so it is not installed in the image on the bundle's word. If you trust that package, name it: --plugin ${NPM_NAME.test(pkg) ? pkg : '<package>'}.`,
      { details: { package: preview(pkg) } },
    );
  }
  const ignored = Object.keys(header.requires).filter((name) => !allowed.has(name));
  return {
    dependencies: Object.fromEntries(Object.entries(dependencies).sort(([a], [b]) => a.localeCompare(b))),
    plugins,
    ignored: ignored.map((n) => preview(n)),
    kerasLayers,
  };
}
