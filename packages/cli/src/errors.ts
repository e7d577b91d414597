import { asModelBundleError, ErrorCodes, ModelBundleError } from '@modelbundle/core';
import { outJson, paint, terminalText } from './output.js';

/** Exit code for wrong usage (unknown option, missing argument), as most command lines use. */
export const USAGE_EXIT = ErrorCodes.INVALID_ARGUMENT.exit;

/** The error as a ModelBundleError, also when a plugin threw one from its own copy of @modelbundle/core. */
export function toModelBundleError(error: unknown): ModelBundleError {
  const known = asModelBundleError(error);
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
  if (json) outJson({ error: failure.toJSON() });
  else process.stderr.write(`${terminalText(`${paint(process.stderr, 'red', `error [${failure.code}]:`)} ${failure.message}`)}\n`);
  if (failure.code === 'INTERNAL' && process.env.MODELBUNDLE_DEBUG && failure.cause instanceof Error) process.stderr.write(`${failure.cause.stack}\n`);
  return failure.exitCode;
}
