import { ModelBundleError } from '../errors.js';

/**
 * Parses a JSON section or file (strict UTF-8; nothing in it is evaluated).
 * Bytes that are not UTF-8 JSON fail as MALFORMED naming `what` and saying
 * what to do.
 */
export function parseJson(bytes: Uint8Array, what: string, fix = 'The bundle was written by a non-conforming writer; save the model again.'): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (cause) {
    throw new ModelBundleError('MALFORMED', `${what} is not valid JSON (UTF-8): ${(cause as Error).message}. ${fix}`, { cause, details: { region: what } });
  }
}
