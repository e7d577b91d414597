import { asModelBundleError, ErrorCodes, errorBody, ModelBundleError } from '@modelbundle/core';
import { outJson, paint, terminalText } from './output.js';

/** Exit code for wrong usage (unknown option, missing argument), as most command lines use. */
export const USAGE_EXIT = ErrorCodes.INVALID_ARGUMENT.exit;

/**
 * The error as a ModelBundleError, also when a plugin threw one from its own
 * copy of @modelbundle/core. A file that does not exist is NOT_FOUND (exit
 * 28), so scripts can tell it from a file that cannot be read (IO_ERROR).
 */
export function toModelBundleError(error: unknown): ModelBundleError {
  const known = asModelBundleError(error);
  if (known?.code === 'IO_ERROR' && known.details.errno === 'ENOENT') {
    return new ModelBundleError('NOT_FOUND', known.message, { cause: known, details: known.details });
  }
  if (known) return known;
  const message = error instanceof Error ? error.message : String(error);
  return new ModelBundleError('INTERNAL', `Unexpected failure: ${message}. This is a bug; please report it with the command you ran.`, { cause: error });
}

/**
 * Reports a failure and returns the exit code from the error-code map:
 * `{ "error": {...} }` on stdout with `--json`, a message on stderr otherwise.
 */
export function reportError(error: unknown, json: boolean): number {
  const failure = toModelBundleError(error);
  if (json) outJson(errorBody(failure));
  else process.stderr.write(`${terminalText(`${paint(process.stderr, 'red', `error [${failure.code}]:`)} ${failure.message}`)}\n`);
  if (failure.code === 'INTERNAL' && process.env.MODELBUNDLE_DEBUG && failure.cause instanceof Error) process.stderr.write(`${failure.cause.stack}\n`);
  return failure.exitCode;
}
