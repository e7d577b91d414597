// Launches the fuzzer (test/fuzz/main.ts): compiles it with esbuild into
// node_modules/.cache, leaving packages external so it runs against the built
// packages, then runs it with the same arguments.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const outdir = join(root, 'node_modules', '.cache', 'modelbundle-fuzz');
mkdirSync(outdir, { recursive: true });
await build({
  entryPoints: [join(root, 'test', 'fuzz', 'main.ts')],
  outfile: join(outdir, 'main.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
});
process.chdir(root);
await import(pathToFileURL(join(outdir, 'main.mjs')).href);
