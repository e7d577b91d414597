import { optionsFromSettings, type ServerSettings, serve, settingsFromEnv } from '@modelbundle/serve';
import { boardRefOf, localBundleFile } from '../board-ref.js';
import { bundleFileSource } from '../bundle-source.js';
import { out } from '../output.js';
import { readTrustedKeys } from '../trust.js';
import { type ServeBoardOptions, serveBoardCommand } from './serve-board.js';

/** Options of `modelbundle serve`: the server settings (each is also a MODELBUNDLE_* variable; flags win), as flags name them. */
export interface ServeCommandOptions extends Pick<ServeBoardOptions, 'poll' | 'endpoint'>, Omit<ServerSettings, 'corsOrigins' | 'authToken'> {
  corsOrigin?: string[];
  /** Public key files; when given, the bundle must be signed by one of them. */
  publicKey?: string[];
}

/** Serves a bundle over HTTP until SIGTERM or SIGINT, then finishes requests in flight and exits 0. */
export async function serveCommand(file: string, options: ServeCommandOptions): Promise<number> {
  const settings = { ...settingsFromEnv(), ...flagSettings(options) };
  const onBoard = boardRefOf(file);
  if (onBoard) {
    // The same settings (flags, then MODELBUNDLE_* variables, then defaults) as for a file.
    const { port, host, ...tuning } = await optionsFromSettings(settings);
    return serveBoardCommand(onBoard, { ...options, tuning, port: port ?? 8080, host: host ?? '127.0.0.1', logLevel: tuning.logLevel ?? 'info' });
  }
  const keys = await readTrustedKeys(options.publicKey);
  const { trusted, registry, source, done } = await bundleFileSource(await localBundleFile(file), keys);
  const server = await serve({
    ...source,
    registry,
    ...(await optionsFromSettings(settings)),
    // Requests in flight have finished: end now, even if a backend's thread pool would keep the process up.
    onShutdown: () => process.exit(process.exitCode ?? 0),
  }).finally(done);
  if (trusted) out(`Signature verified: signed by ${trusted.fingerprint}`);
  out(`Serving ${file} at ${server.url}`);
  out(`Docs: ${server.url}/   OpenAPI: ${server.url}/openapi.json   Health: ${server.url}/healthz   Metrics: ${server.url}/metrics`);
  return 0;
}

/** The flags that were given, as settings (undefined ones left out so variables still apply). */
function flagSettings(options: ServeCommandOptions): ServerSettings {
  const { corsOrigin, publicKey: _keys, ...rest } = options;
  const settings: ServerSettings = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
  if (corsOrigin !== undefined) settings.corsOrigins = corsOrigin;
  return settings;
}
