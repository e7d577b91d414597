import { fileURLToPath } from 'node:url';
import { type BuildResult, build, type Metafile, type PluginBuild } from 'esbuild';
import type { ServedFile } from './static-server.js';

/** Folder that bare imports (`@modelbundle/core`, ...) in page modules resolve from. */
export const RESOLVE_DIR = fileURLToPath(new URL('..', import.meta.url));

/** A page module given as TypeScript source; it is served as `/<name>.js`. */
export interface PageModule {
  name: string;
  source: string;
}

/** The built page: its files by URL path, and esbuild's record of what went in. */
export interface BuiltPage {
  files: Record<string, ServedFile>;
  metafile: Metafile;
}

/**
 * Bundles page modules for the browser the way an application would:
 * esbuild, platform `browser`, ES modules, code shared between modules
 * split into common chunks. An import esbuild cannot resolve for a browser
 * (a `node:` built-in, for one) fails the build.
 */
export async function buildPage(modules: readonly PageModule[]): Promise<BuiltPage> {
  const sources = new Map(modules.map((m) => [m.name, m.source]));
  const result: BuildResult<{ write: false; metafile: true }> = await build({
    entryPoints: modules.map((m) => ({ in: `page:${m.name}`, out: m.name })),
    bundle: true,
    platform: 'browser',
    format: 'esm',
    splitting: true,
    target: 'es2022',
    outdir: '/page',
    write: false,
    metafile: true,
    logLevel: 'silent',
    plugins: [
      {
        name: 'page-modules',
        setup(b: PluginBuild) {
          b.onResolve({ filter: /^page:/ }, (args) => ({ path: args.path.slice('page:'.length), namespace: 'page' }));
          b.onLoad({ filter: /.*/, namespace: 'page' }, (args) => ({ contents: sources.get(args.path) ?? '', loader: 'ts', resolveDir: RESOLVE_DIR }));
        },
      },
    ],
  });
  const files: Record<string, ServedFile> = {};
  for (const out of result.outputFiles) {
    files[out.path.slice('/page'.length)] = { body: out.contents, type: 'text/javascript' };
  }
  return { files, metafile: result.metafile };
}
