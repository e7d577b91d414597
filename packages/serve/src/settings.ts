import { readFile } from 'node:fs/promises';
import { ModelBundleError } from '@modelbundle/core';
import type { ServerSettings, ServerTuning } from './options.js';

/**
 * Turns plain settings (from flags and `MODELBUNDLE_*` variables) into
 * server options, reading the files they name: the token file (one token a
 * line; blank lines and `#` comments skipped) and the TLS key and
 * certificate. A missing or empty file is IO_ERROR / INVALID_ARGUMENT
 * naming it; token values never appear in messages.
 */
export async function optionsFromSettings(settings: ServerSettings): Promise<ServerTuning & { port?: number; host?: string }> {
  const options: ServerTuning & { port?: number; host?: string } = {};
  if (settings.port !== undefined) options.port = settings.port;
  if (settings.host !== undefined) options.host = settings.host;
  if (settings.logLevel !== undefined) options.logLevel = settings.logLevel;
  if (settings.bodyLimit !== undefined) options.bodyLimit = settings.bodyLimit;
  if (settings.maxRows !== undefined) options.maxRows = settings.maxRows;
  if (settings.requestTimeout !== undefined) options.requestTimeout = settings.requestTimeout;
  if (settings.unseenLevels !== undefined) options.unseenLevels = settings.unseenLevels;
  if (settings.batchMaxRows === 0) options.batch = false;
  else if (settings.batchMaxRows !== undefined || settings.batchMaxWaitMs !== undefined) {
    options.batch = {
      ...(settings.batchMaxRows === undefined ? {} : { maxRows: settings.batchMaxRows }),
      ...(settings.batchMaxWaitMs === undefined ? {} : { maxWaitMs: settings.batchMaxWaitMs }),
    };
  }
  if (settings.corsOrigins !== undefined) options.corsOrigins = settings.corsOrigins;
  const tokens: string[] = [];
  if (settings.authToken !== undefined) tokens.push(settings.authToken.trim());
  if (settings.authTokenFile !== undefined) {
    const text = await readText(settings.authTokenFile, 'token file');
    const fromFile = text
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'));
    if (fromFile.length === 0)
      throw new ModelBundleError('INVALID_ARGUMENT', `The token file "${settings.authTokenFile}" holds no token; write one token per line.`);
    tokens.push(...fromFile);
  }
  if (tokens.some((token) => token === '')) throw new ModelBundleError('INVALID_ARGUMENT', 'An authentication token is empty; give a non-empty token.');
  if (tokens.length > 0) options.authTokens = tokens;
  if (settings.authScope !== undefined) options.authScope = settings.authScope;
  if ((settings.tlsKey === undefined) !== (settings.tlsCert === undefined)) {
    throw new ModelBundleError(
      'INVALID_ARGUMENT',
      'TLS needs both a key and a certificate (--tls-key and --tls-cert, or MODELBUNDLE_TLS_KEY and MODELBUNDLE_TLS_CERT); only one was given.',
    );
  }
  if (settings.tlsKey !== undefined && settings.tlsCert !== undefined) {
    options.tls = { key: await readText(settings.tlsKey, 'TLS key'), cert: await readText(settings.tlsCert, 'TLS certificate') };
  }
  return options;
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (cause) {
    throw new ModelBundleError(
      'IO_ERROR',
      `Could not read the ${what} "${path}": ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}. Check the path.`,
      {
        cause,
        details: { path, errno: (cause as NodeJS.ErrnoException).code },
      },
    );
  }
}
