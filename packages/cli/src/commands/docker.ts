import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Header } from '@modelbundle/core';
import { inspectFile } from '@modelbundle/core/node';
import { out, outJson, warn } from '../output.js';
import { cliRegistry } from '../registry.js';
import { type DeployedPlugin, planDeployment } from './docker-deps.js';

/** Options of `modelbundle docker`. */
export interface DockerOptions {
  port: number;
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
  const { dependencies, plugins, ignored } = await deploymentOf(header, options.plugin ?? []);
  for (const name of ignored)
    warn(`The bundle requires ${name}, which is not on the allow-list of what docker installs; it is left out (name it with --plugin if you trust it).`);
  await mkdir(dir, { recursive: true });
  const files = {
    'package.json': `${JSON.stringify(packageJson(header, file, dependencies), null, 2)}\n`,
    'server.mjs': serverEntry(plugins),
    Dockerfile: dockerfile(options.port),
    '.dockerignore': 'node_modules\nnpm-debug.log\n',
  };
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  await copyFile(file, join(dir, DEPLOYED_BUNDLE));
  const written = [...Object.keys(files), DEPLOYED_BUNDLE];
  if (options.json) outJson({ dir, files: written, dependencies });
  else {
    out(`Wrote ${written.join(', ')} to ${dir}.`);
    out(`Build and run: docker build -t ${slug(header, file)} ${dir} && docker run -p ${options.port}:${options.port} ${slug(header, file)}`);
  }
  return 0;
}

/** The allow-listed dependencies, pinned to what is installed here when it satisfies the bundle's range. */
async function deploymentOf(header: Header, operatorPlugins: readonly string[]) {
  const statuses = (await cliRegistry(header)).checkRequirements(header.requires);
  const satisfied = new Map(statuses.filter((s) => s.satisfied && s.installed).map((s) => [s.name, s.installed as string]));
  return planDeployment(header, operatorPlugins, satisfied);
}

function packageJson(header: Header, file: string, dependencies: Record<string, string>): Record<string, unknown> {
  return {
    name: `${slug(header, file)}-server`,
    version: '1.0.0',
    private: true,
    description: `Serves ${basename(file)} (${header.kind}, created ${header.created}) over HTTP with @modelbundle/serve.`,
    type: 'module',
    engines: { node: '>=20.19' },
    scripts: { start: 'node server.mjs' },
    dependencies,
  };
}

/** The server entry: the plugins are imported and registered by name, autoload is off (names were validated). */
function serverEntry(plugins: readonly DeployedPlugin[]): string {
  const imports = plugins.map((p, i) => `import { ${p.exportName} as plugin${i} } from '${p.package}';`).join('\n');
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

function dockerfile(port: number): string {
  return `FROM node:22-slim
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0 PORT=${port}
COPY package.json ./
RUN npm install --omit=dev --no-audit --no-fund
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
