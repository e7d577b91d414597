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
  return locate(name, from, false);
}

/**
 * Finds a plugin package for autoload, strictly: only
 * `<from>/node_modules/<name>/package.json` (default `from`: the working
 * directory), never an ancestor folder's `node_modules` (a world-writable
 * temporary folder above the application could plant one), never NODE_PATH
 * or global folders. Its {@link LocatedPackage.entryUrl} is the entry file
 * that very manifest names (`exports["."]`, else `main`, else `index.js`),
 * and only if its real path is a regular file inside the package's real
 * folder: the package whose manifest declared the plugin is the one imported.
 */
export function locatePluginPackage(name: string, from?: string): LocatedPackage | null {
  return locate(name, from, true);
}

function locate(name: string, from: string | undefined, strict: boolean): LocatedPackage | null {
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
    entryUrl: () => url.pathToFileURL(strict ? ownEntryFile(dir, manifest, fs, path) : entryFile(dir, manifest, () => require.resolve(name), path.join)).href,
  });
  if (strict) {
    const pkgDir = path.join(base, 'node_modules', name);
    const manifest = readManifest(path.join(pkgDir, 'package.json'));
    return manifest ? located(pkgDir, manifest) : null;
  }
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

/**
 * The entry file a package's own manifest names, under the package folder;
 * throws when its real path escapes the package's real folder or is not a regular file.
 */
function ownEntryFile(dir: string, manifest: Manifest, fs: typeof import('node:fs'), path: typeof import('node:path')): string {
  const root = manifest.exports as Record<string, unknown> | string | undefined;
  const dot = typeof root === 'object' && root !== null && '.' in root ? root['.'] : root;
  const target =
    typeof dot === 'string'
      ? dot
      : typeof dot === 'object' && dot !== null
        ? pickCondition(dot as Record<string, unknown>)
        : typeof manifest.main === 'string'
          ? manifest.main
          : 'index.js';
  if (typeof target !== 'string') throw new Error('its package.json names no entry file for "."');
  const realDir = fs.realpathSync(dir);
  const real = fs.realpathSync(path.resolve(realDir, target));
  const inside = path.relative(realDir, real);
  if (inside === '' || inside.startsWith('..') || path.isAbsolute(inside)) throw new Error(`its entry file "${target}" lies outside the package folder`);
  if (!fs.statSync(real).isFile()) throw new Error(`its entry file "${target}" is not a regular file`);
  // The path under the folder that was checked (its real path was just checked to stay inside it).
  return path.resolve(dir, target);
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
