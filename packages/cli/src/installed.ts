import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { locatePackage } from '@modelbundle/core/internal';

/** The version of a package as this command line resolves it (from its own folder), or null when it is not installed. */
export function installedVersion(name: string): string | null {
  const version = locatePackage(name, fileURLToPath(new URL('.', import.meta.url)))?.manifest.version;
  return typeof version === 'string' ? version : null;
}

/** This command line's own version. */
export function cliVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return manifest.version;
}
