import { type ErrorCode, isModelBundleError, type ModelBundleError } from '@modelbundle/core';
import { expect } from 'vitest';

/** What {@link expectCode} checks: a promise that must reject, or a function that must throw or return one that rejects. */
export type Failing = Promise<unknown> | (() => unknown);

/**
 * Expects `action` to fail with a `ModelBundleError` whose code is `code`
 * (or one of `code`, when a list is given) and, when `mention` is given,
 * whose message contains it (or matches it, for a RegExp). Returns the
 * error, so a test can go on to check its `details`.
 *
 * The failure message says what happened instead: it resolved (and with
 * what), it threw something that is not a ModelBundleError, or it threw
 * another code (with that error's message).
 *
 * @example
 * const error = await expectCode(decodeBundle(damaged), 'CORRUPT', 'weights');
 * expect(error.details.region).toBe('section');
 */
export async function expectCode(action: Failing, code: ErrorCode | readonly ErrorCode[], mention?: string | RegExp): Promise<ModelBundleError> {
  const codes: readonly string[] = typeof code === 'string' ? [code] : code;
  const wanted = codes.join(' or ');
  let outcome: { threw: false; value: unknown } | { threw: true; error: unknown };
  try {
    const value = await (typeof action === 'function' ? action() : action);
    outcome = { threw: false, value };
  } catch (error) {
    outcome = { threw: true, error };
  }
  if (!outcome.threw) return expect.fail(`expected a ModelBundleError ${wanted}, but it succeeded with ${preview(outcome.value)}`);
  const error = outcome.error;
  if (!isModelBundleError(error)) return expect.fail(`expected a ModelBundleError ${wanted}, but it threw ${describeThrown(error)}`);
  expect(codes, `expected a ModelBundleError ${wanted}, got ${error.code}: ${error.message}`).toContain(error.code);
  if (typeof mention === 'string') expect(error.message, `the ${error.code} message should mention ${JSON.stringify(mention)}`).toContain(mention);
  else if (mention) expect(error.message, `the ${error.code} message should match ${mention}`).toMatch(mention);
  return error;
}

function describeThrown(thrown: unknown): string {
  // Same name, other class: the code under test loaded a second copy of @modelbundle/core.
  if (thrown instanceof Error && thrown.name === 'ModelBundleError')
    return `a ModelBundleError from another copy of @modelbundle/core (${thrown.message}); make @modelbundle/core a peer dependency so one copy is loaded`;
  if (thrown instanceof Error) return `${thrown.name}: ${thrown.message}`;
  return preview(thrown);
}

function preview(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return 'a function';
  if (value instanceof Uint8Array) return `${value.constructor.name}(${value.length})`;
  try {
    const text = JSON.stringify(value);
    return text.length > 120 ? `${text.slice(0, 120)}...` : text;
  } catch {
    return String(value);
  }
}
