import { type AutoloadPlan, describeAutoload } from '@modelbundle/core';
import { inspectFile } from '@modelbundle/core/node';
import { out, outJson } from '../output.js';
import { isShippedPlugin } from '../registry.js';

/** Options of `modelbundle plugins`. */
export interface PluginsOptions {
  json?: boolean;
  autoload?: boolean;
}

/** One line of `modelbundle plugins`: how the bundle's serializer package would be found. */
export interface PluginReport {
  package: string;
  kind: string;
  /** `shipped`: registered explicitly by the command line; `off`: autoload is turned off; else {@link AutoloadPlan.status}. */
  status: 'shipped' | 'off' | AutoloadPlan['status'];
  from?: string | null;
  dir?: string;
  entry?: string;
  reason?: string;
}

/**
 * Says, from the header alone and without importing anything, which plugin
 * package restoring the bundle would use and from which exact file.
 */
export async function pluginsCommand(file: string, options: PluginsOptions): Promise<number> {
  const { header } = await inspectFile(file);
  const pkg = typeof header.serializer.package === 'string' ? header.serializer.package : '';
  let report: PluginReport;
  if (isShippedPlugin(pkg)) report = { package: pkg, kind: header.kind, status: 'shipped' };
  else if (options.autoload === false) report = { package: pkg, kind: header.kind, status: 'off' };
  else {
    const { entryUrl: _url, exportName: _export, package: _pkg, ...plan } = describeAutoload(pkg);
    report = { package: pkg, kind: header.kind, ...plan };
  }
  if (options.json) outJson(report);
  else out(describe(report));
  return 0;
}

function describe(r: PluginReport): string {
  const name = r.package === '' ? '(no package named)' : r.package;
  switch (r.status) {
    case 'shipped':
      return `${r.kind}: ${name} ships with the command line; it is registered explicitly, nothing is autoloaded.`;
    case 'off':
      return `${r.kind}: ${name} would not be loaded: autoload is off.`;
    case 'load':
      return `${r.kind}: would import ${r.entry} (package ${name} in ${r.dir}).`;
    case 'invalid-name':
      return `${r.kind}: "${name}" is not an npm package name; nothing would be loaded.`;
    case 'not-installed':
      return `${r.kind}: ${name} is not installed in ${r.from}/node_modules; nothing would be loaded (ancestor folders are never searched).`;
    case 'not-a-plugin':
      return `${r.kind}: ${name} (${r.dir}) does not declare "modelbundle": { "plugin": ... } in its package.json; nothing would be loaded.`;
    default:
      return `${r.kind}: ${name} (${r.dir}) would be refused: ${r.reason}.`;
  }
}
