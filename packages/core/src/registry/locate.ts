import { nodeBuiltin } from '../platform.js';

/** An installed package: where its package.json lives and what it says. */
export interface LocatedPackage {
  dir: string;
  manifest: { name?: string; version?: string; modelbundle?: { plugin?: unknown }; [key: string]: unknown };
  /** Resolves a specifier (the package name or a subpath) to a file URL that `import()` can load. */
  resolve(specifier: string): string;
}

/**
 * Finds a package as the application sees it (resolution starts at the
 * working directory, not inside modelbundle). Node only; null in browsers
 * and when the package is not installed.
 */
export function locatePackage(name: string, from?: string): LocatedPackage | null {
  const mod = nodeBuiltin<typeof import('node:module')>('node:module');
  const fs = nodeBuiltin<typeof import('node:fs')>('node:fs');
  const path = nodeBuiltin<typeof import('node:path')>('node:path');
  const url = nodeBuiltin<typeof import('node:url')>('node:url');
  if (!mod || !fs || !path || !url || !globalThis.process) return null;
  const require = mod.createRequire(path.join(from ?? globalThis.process.cwd(), 'noop.js'));
  let entry: string;
  try {
    entry = require.resolve(name);
  } catch {
    return null;
  }
  // Walk up from the entry file to the package.json that names this package.
  for (let dir = path.dirname(entry); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (!fs.existsSync(file)) continue;
    const manifest = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (manifest.name !== name) continue;
    return { dir, manifest, resolve: (specifier) => url.pathToFileURL(require.resolve(specifier)).href };
  }
  return null;
}
