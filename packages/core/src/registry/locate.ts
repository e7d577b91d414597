import { nodeBuiltin } from '../internal/platform.js';

/** An installed package: where its package.json lives and what it says. */
export interface LocatedPackage {
  dir: string;
  manifest: { name?: string; version?: string; modelbundle?: { plugin?: unknown }; [key: string]: unknown };
  /** The file URL of the package's main entry, which `import()` can load. */
  entryUrl(): string;
}

type Manifest = LocatedPackage['manifest'];

/**
 * Finds a package as the application sees it: resolution starts at `from`
 * (default: the working directory), not inside modelbundle. It looks for
 * `node_modules/<name>/package.json` in `from` and each parent folder, then
 * falls back to Node's resolver (NODE_PATH, global folders). Node only; null
 * in browsers and when the package is not installed.
 */
export function locatePackage(name: string, from?: string): LocatedPackage | null {
  const mod = nodeBuiltin<typeof import('node:module')>('node:module');
  const fs = nodeBuiltin<typeof import('node:fs')>('node:fs');
  const path = nodeBuiltin<typeof import('node:path')>('node:path');
  const url = nodeBuiltin<typeof import('node:url')>('node:url');
  if (!mod || !fs || !path || !url || !globalThis.process) return null;
  const base = path.resolve(from ?? globalThis.process.cwd());
  const require = mod.createRequire(path.join(base, 'noop.js'));
  const readManifest = (file: string): Manifest | null => {
    try {
      const manifest = JSON.parse(fs.readFileSync(file, 'utf8')) as Manifest;
      return manifest.name === name ? manifest : null;
    } catch {
      return null;
    }
  };
  const located = (dir: string, manifest: Manifest): LocatedPackage => ({
    dir,
    manifest,
    entryUrl: () => url.pathToFileURL(entryFile(dir, manifest, () => require.resolve(name), path.join)).href,
  });
  for (let dir = base; ; dir = path.dirname(dir)) {
    const pkgDir = path.join(dir, 'node_modules', name);
    const manifest = readManifest(path.join(pkgDir, 'package.json'));
    if (manifest) return located(pkgDir, manifest);
    if (dir === path.dirname(dir)) break;
  }
  let entry: string;
  try {
    entry = require.resolve(name);
  } catch {
    return null;
  }
  // Walk up from the entry file to the package.json that names this package.
  for (let dir = path.dirname(entry); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const manifest = readManifest(path.join(dir, 'package.json'));
    if (manifest) return located(dir, manifest);
  }
  return null;
}

/**
 * The main entry of a package: what `require.resolve` finds, or, for
 * packages that export only an `import` condition, that entry.
 */
function entryFile(dir: string, manifest: Manifest, resolve: () => string, join: (...parts: string[]) => string): string {
  try {
    return resolve();
  } catch (cause) {
    const root = (manifest.exports as Record<string, unknown> | string | undefined) ?? undefined;
    const dot = typeof root === 'object' && root !== null && '.' in root ? root['.'] : root;
    const target = typeof dot === 'string' ? dot : typeof dot === 'object' && dot !== null ? pickCondition(dot as Record<string, unknown>) : undefined;
    if (typeof target !== 'string') throw cause;
    return join(dir, target);
  }
}

function pickCondition(conditions: Record<string, unknown>): string | undefined {
  for (const key of ['node', 'import', 'default']) {
    const value = conditions[key];
    if (typeof value === 'string') return value;
    if (typeof value === 'object' && value !== null) {
      const nested = pickCondition(value as Record<string, unknown>);
      if (nested) return nested;
    }
  }
  return undefined;
}
