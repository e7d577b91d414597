import { execFile } from 'node:child_process';
import { copyFile, mkdir, readdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type Header, ModelBundleError } from '@modelbundle/core';
import { locatePackage } from '@modelbundle/core/internal';
import { inspectFile } from '@modelbundle/core/node';
import { out, outJson, warn } from '../output.js';
import { cliRegistry } from '../registry.js';
import { type DeployedPlugin, planDeployment } from './docker-deps.js';

/** Options of `modelbundle docker`. */
export interface DockerOptions {
  port: number;
  /** Write into a folder that already holds files (they may be replaced). */
  force?: boolean;
  json?: boolean;
  /** Plugin packages the operator trusts (`name` or `name@version`), beyond the ones this command line ships. */
  plugin?: string[];
}

/** The name the bundle gets inside the deployment directory. */
export const DEPLOYED_BUNDLE = 'model.mbnd';

/**
 * Writes a deployment directory for a bundle, as vetiver does: a Dockerfile,
 * a package.json that pins exactly the runtime packages the bundle's header
 * requires (plus the server), the server entry point and a copy of the bundle.
 * `npm install && node server.mjs` in that directory serves the bundle.
 */
export async function dockerCommand(file: string, dir: string, options: DockerOptions): Promise<number> {
  const { header } = await inspectFile(file);
  await refuseNonEmpty(dir, options.force === true);
  const { dependencies, plugins, ignored, kerasLayers } = await deploymentOf(header, options.plugin ?? []);
  for (const name of ignored)
    warn(`The bundle requires ${name}, which is not on the allow-list of what docker installs; it is left out (name it with --plugin if you trust it).`);
  await mkdir(dir, { recursive: true });
  const vendored = await vendorPackages(dependencies, join(dir, VENDOR), header.serializer.package);
  const files = {
    'package.json': `${JSON.stringify(packageJson(header, file, { ...dependencies, ...vendored }, vendored), null, 2)}\n`,
    'server.mjs': serverEntry(plugins, kerasLayers),
    Dockerfile: dockerfile(options.port, Object.keys(vendored).length > 0),
    '.dockerignore': 'node_modules\nnpm-debug.log\n',
  };
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  await copyFile(file, join(dir, DEPLOYED_BUNDLE));
  const written = [...Object.keys(files), DEPLOYED_BUNDLE, ...Object.values(vendored).map((spec) => spec.slice('file:'.length))];
  if (options.json) outJson({ dir, files: written, dependencies, vendored });
  else {
    out(`Wrote ${written.join(', ')} to ${dir}.`);
    out(`Run here: cd ${dir} && npm install && PORT=${options.port} node server.mjs`);
    out(`Or build and run the image: docker build -t ${slug(header, file)} ${dir} && docker run -p ${options.port}:${options.port} ${slug(header, file)}`);
  }
  return 0;
}

/** Where packed tarballs go inside the deployment folder. */
const VENDOR = 'vendor';

/**
 * The packages npm cannot fetch from the registry (the @modelbundle
 * packages, which are not published yet, and the bundle's plugin), packed
 * from where this command line finds them into `vendor/` with `npm pack`,
 * so a plain `npm install` in the folder works. Returns name -> `file:` spec.
 */
async function vendorPackages(dependencies: Record<string, string>, vendorDir: string, plugin: string | undefined): Promise<Record<string, string>> {
  const from = fileURLToPath(new URL('.', import.meta.url));
  const specs: Record<string, string> = {};
  for (const [name, version] of Object.entries(dependencies)) {
    // Where this command line runs from, then the current folder (where a project installs its plugins).
    const located = locatePackage(name, from) ?? locatePackage(name);
    const ours = name.startsWith('@modelbundle/') || name === plugin || located?.manifest.modelbundle !== undefined;
    if (!located || !ours || located.manifest.version !== version) continue;
    await mkdir(vendorDir, { recursive: true });
    const { stdout } = await promisify(execFile)('npm', ['pack', located.dir, '--pack-destination', vendorDir, '--json', '--ignore-scripts'], {
      maxBuffer: 16 * 1024 * 1024,
    }).catch((cause: Error) => {
      throw new ModelBundleError(
        'IO_ERROR',
        `Could not pack ${name} from ${located.dir} with npm pack: ${cause.message.slice(0, 300)}. Check that npm is on the PATH.`,
        { cause },
      );
    });
    const [{ filename }] = JSON.parse(stdout) as [{ filename: string }];
    specs[name] = `file:${VENDOR}/${basename(filename)}`;
  }
  return specs;
}

/** A folder that already holds files is someone's work: write into it only with --force. */
async function refuseNonEmpty(dir: string, force: boolean): Promise<void> {
  const entries = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [] as string[];
    if (error.code === 'ENOTDIR') throw new ModelBundleError('INVALID_ARGUMENT', `"${dir}" is a file, not a folder; give a folder for the deployment files.`);
    throw error;
  });
  if (entries.length > 0 && !force) {
    throw new ModelBundleError(
      'INVALID_ARGUMENT',
      `The folder "${dir}" is not empty (${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}, e.g. ${entries.slice(0, 3).join(', ')}); nothing was written. Give a new or empty folder, or pass --force to write into it (files of the same names are replaced).`,
      { details: { dir, entries: entries.slice(0, 5) } },
    );
  }
}

/** The allow-listed dependencies, pinned to what is installed here when it satisfies the bundle's range. */
async function deploymentOf(header: Header, operatorPlugins: readonly string[]) {
  const statuses = (await cliRegistry(header)).checkRequirements(header.requires);
  const satisfied = new Map(statuses.filter((s) => s.satisfied && s.installed).map((s) => [s.name, s.installed as string]));
  return planDeployment(header, operatorPlugins, satisfied);
}

function packageJson(header: Header, file: string, dependencies: Record<string, string>, vendored: Record<string, string>): Record<string, unknown> {
  return {
    name: `${slug(header, file)}-server`,
    version: '1.0.0',
    private: true,
    description: `Serves ${basename(file)} (${header.kind}, created ${header.created}) over HTTP with @modelbundle/serve.`,
    type: 'module',
    engines: { node: '>=20.19' },
    scripts: { start: 'node server.mjs' },
    dependencies,
    // The packed packages depend on each other (workspace:* in their manifests): resolve those to the tarballs too.
    ...(Object.keys(vendored).length > 0 ? { overrides: vendored } : {}),
  };
}

/** The server entry: the plugins are imported and registered by name, autoload is off (names were validated). */
function serverEntry(plugins: readonly DeployedPlugin[], kerasLayers: boolean): string {
  const imports = [
    ...plugins.map((p, i) => `import { ${p.exportName} as plugin${i} } from '${p.package}';`),
    // A model imported from Keras restores with the tfjs classes @modelbundle/keras defines (its summary lists them).
    ...(kerasLayers ? ["import { registerKerasLayers } from '@modelbundle/keras';", '', 'registerKerasLayers();'] : []),
  ].join('\n');
  const registered = plugins.map((_, i) => `.registerPlugin(plugin${i})`).join('');
  return `// Serves the bundle beside this file. Settings come from the environment:
// PORT (default 8080), HOST (default 0.0.0.0), LOG_LEVEL (default info).
import { fileURLToPath } from 'node:url';
import { createRegistry } from '@modelbundle/core';
import { serve } from '@modelbundle/serve';
${imports}

const server = await serve({
  path: fileURLToPath(new URL('./${DEPLOYED_BUNDLE}', import.meta.url)),
  // Only the plugins above, registered explicitly: nothing the bundle names is imported. Versions must match what it requires.
  registry: createRegistry({ requirements: 'strict', autoload: false })${registered},
  port: Number(process.env.PORT ?? 8080),
  host: process.env.HOST ?? '0.0.0.0',
  logLevel: process.env.LOG_LEVEL ?? 'info',
  // On SIGTERM (docker stop), requests in flight finish first, then the process ends.
  onShutdown: () => process.exit(0),
});
console.log(\`listening on \${server.url}\`);
`;
}

function dockerfile(port: number, vendored: boolean): string {
  return `FROM node:22-slim
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0 PORT=${port}
COPY package.json ./
${vendored ? `COPY ${VENDOR} ./${VENDOR}\n` : ''}RUN npm install --omit=dev --no-audit --no-fund
COPY server.mjs ${DEPLOYED_BUNDLE} ./
USER node
EXPOSE ${port}
CMD ["node", "server.mjs"]
`;
}

function slug(header: Header, file: string): string {
  const name = typeof header.metadata.name === 'string' ? header.metadata.name : basename(file).replace(/\.[^.]*$/, '');
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'model'
  );
}
