import { checkTrust } from '@modelbundle/core';
import { type LogLevel, serve } from '@modelbundle/serve';
import { boardRefOf, localBundleFile } from '../board-ref.js';
import { out } from '../output.js';
import { readBundleFile } from '../progress.js';
import { cliRegistry } from '../registry.js';
import { readTrustedKeys } from '../trust.js';
import { type ServeBoardOptions, serveBoardCommand } from './serve-board.js';

/** Options of `modelbundle serve`. */
export interface ServeCommandOptions extends Pick<ServeBoardOptions, 'poll' | 'endpoint'> {
  port: number;
  host: string;
  logLevel: LogLevel;
  bodyLimit?: number;
  maxRows?: number;
  requestTimeout?: number;
  /** Public key files; when given, the bundle must be signed by one of them. */
  publicKey?: string[];
}

/** Serves a bundle over HTTP until SIGTERM or SIGINT, then finishes requests in flight and exits 0. */
export async function serveCommand(file: string, options: ServeCommandOptions): Promise<number> {
  const onBoard = boardRefOf(file);
  if (onBoard) return serveBoardCommand(onBoard, options);
  const keys = await readTrustedKeys(options.publicKey);
  const bundle = await readBundleFile(await localBundleFile(file));
  const trusted = await checkTrust(bundle, keys ? { trustedKeys: keys } : {});
  const server = await serve({
    bundle,
    registry: await cliRegistry(bundle.header),
    port: options.port,
    host: options.host,
    logLevel: options.logLevel,
    ...(options.bodyLimit === undefined ? {} : { bodyLimit: options.bodyLimit }),
    ...(options.maxRows === undefined ? {} : { maxRows: options.maxRows }),
    ...(options.requestTimeout === undefined ? {} : { requestTimeout: options.requestTimeout }),
    // Requests in flight have finished: end now, even if a backend's thread pool would keep the process up.
    onShutdown: () => process.exit(process.exitCode ?? 0),
  });
  if (trusted) out(`Signature verified: signed by ${trusted.fingerprint}`);
  out(`Serving ${file} at ${server.url}`);
  out(`Docs: ${server.url}/   OpenAPI: ${server.url}/openapi.json`);
  return 0;
}
