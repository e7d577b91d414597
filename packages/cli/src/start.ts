// The demo behind `pnpm start`: fits the penguin-species workflow on the
// shipped Palmer penguins data once, keeps it as a bundle, and serves it.
import { mkdir } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Bundle, isModelBundleError } from '@modelbundle/core';
import { readBundle, writeBundle } from '@modelbundle/core/node';
import { optionsFromSettings, serve, settingsFromEnv } from '@modelbundle/serve';
import { fitDemo, loadPenguins } from '@modelbundle/workflows/demo';
import { reportError } from './errors.js';
import { paint } from './output.js';
import { cliRegistry } from './registry.js';

const ROOT = resolve(fileURLToPath(new URL('../../../', import.meta.url)));
/** Where the fitted demo bundle is kept between runs (git-ignored); MODELBUNDLE_DEMO_DIR moves it. */
const DEMO_DIR = resolve(process.env.MODELBUNDLE_DEMO_DIR ?? join(ROOT, '.cache', 'demo'));
const BUNDLE_PATH = join(DEMO_DIR, 'penguins.mbnd');

async function main(): Promise<void> {
  const registry = await cliRegistry();
  // The same settings, defaults and MODELBUNDLE_* variables as `modelbundle serve` (PORT and HOST still work too).
  const settings = settingsFromEnv();
  settings.port ??= process.env.PORT === undefined ? undefined : Number(process.env.PORT);
  settings.host ??= process.env.HOST;
  const options = {
    registry,
    ...(await optionsFromSettings(settings)),
    onShutdown: () => process.exit(0),
  };
  const saved = await reuseBundle();
  const server = await serve({ bundle: saved ?? (await fitAndSave()), ...options }).catch(async (error) => {
    // A bundle saved by an older release may no longer restore: fit a fresh one, once.
    if (!saved || !isModelBundleError(error)) throw error;
    process.stdout.write(`The saved demo model cannot be restored (${error.message}); fitting it again.\n`);
    return serve({ bundle: await fitAndSave(), ...options });
  });
  const row = await exampleRow();
  const say = (text: string) => process.stdout.write(`${text}\n`);
  say('');
  say(`${paint(process.stdout, 'green', 'Serving')} the penguin-species model at ${server.url}`);
  say(`  Docs (try it in a browser):  ${paint(process.stdout, 'bold', `${server.url}/`)}`);
  say(`  OpenAPI:                     ${server.url}/openapi.json`);
  say('');
  say('Predict from a terminal:');
  say(`  curl -s -X POST '${server.url}/predict?type=prob' -H 'content-type: application/json' -d '${JSON.stringify([row])}'`);
  say('');
  say('Stop with Ctrl+C. Quieter logs: MODELBUNDLE_LOG_LEVEL=warn pnpm start; another port: MODELBUNDLE_PORT=9090 pnpm start.');
}

/** The bundle from an earlier run, when it is there and intact; a damaged or outdated one is refitted. */
async function reuseBundle(): Promise<Bundle | undefined> {
  try {
    const bundle = await readBundle(BUNDLE_PATH);
    process.stdout.write(`Reusing the demo model fitted earlier: ${relative(process.cwd(), BUNDLE_PATH) || BUNDLE_PATH} (delete it to fit again).\n`);
    return bundle;
  } catch (error) {
    if (isModelBundleError(error, 'IO_ERROR') && (error.details as { errno?: unknown }).errno === 'ENOENT') return undefined;
    process.stdout.write(`The saved demo model cannot be used (${(error as Error).message}); fitting it again.\n`);
    return undefined;
  }
}

async function fitAndSave(): Promise<Bundle> {
  process.stdout.write('Fitting the demo workflow (penguin species from island, beak, flipper, body mass and sex; Palmer penguins, CC0)...\n');
  const started = Date.now();
  const workflow = await fitDemo();
  const registry = await cliRegistry();
  const bundle = await registry.bundle(workflow, {
    metadata: {
      name: 'penguin-species',
      description: 'Palmer penguins species classifier (demo)',
      dataset: 'Palmer penguins (CC0)',
      // Shown by the docs page, /prototype and /openapi.json as the example request.
      example: await exampleRow(),
    },
  });
  await mkdir(DEMO_DIR, { recursive: true });
  await writeBundle(BUNDLE_PATH, bundle);
  process.stdout.write(`Fitted in ${((Date.now() - started) / 1000).toFixed(1)} s and saved ${relative(process.cwd(), BUNDLE_PATH) || BUNDLE_PATH}.\n`);
  return bundle;
}

/** A complete penguin from the data set, without its species: a realistic request. */
async function exampleRow(): Promise<Record<string, unknown>> {
  const penguins = await loadPenguins();
  const complete = penguins.find((p) => Object.values(p).every((v) => v !== null)) ?? penguins[0];
  const { Species: _species, ...row } = complete as Record<string, unknown>;
  return row;
}

main().catch((error) => {
  if ((error as { details?: { errno?: unknown } }).details?.errno === 'EADDRINUSE') {
    process.stderr.write(
      `Port ${process.env.MODELBUNDLE_PORT ?? process.env.PORT ?? 8080} is in use. Stop what uses it, or pick another: MODELBUNDLE_PORT=9090 pnpm start\n`,
    );
    process.exit(1);
  }
  process.exit(reportError(error, false));
});
