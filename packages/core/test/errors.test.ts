import { readFile } from 'node:fs/promises';
import { asModelBundleError, CORE_VERSION, type ErrorCode, ErrorCodes, isModelBundleError, ModelBundleError } from '@modelbundle/core';
import { describe, expect, it } from 'vitest';

describe('errors', () => {
  it('recognises a ModelBundleError from another copy of core by name and code, and nothing else', () => {
    class ForeignError extends Error {
      override name = 'ModelBundleError';
      code = 'CORRUPT';
      details = { region: 'header' };
    }
    const foreign = new ForeignError('damaged');
    const converted = asModelBundleError(foreign);
    expect(converted).toBeInstanceOf(ModelBundleError);
    expect(converted?.toJSON()).toEqual({ code: 'CORRUPT', message: 'damaged', details: { region: 'header' } });
    expect(converted?.cause).toBe(foreign);
    const own = new ModelBundleError('IO_ERROR', 'x');
    expect(asModelBundleError(own)).toBe(own);
    expect(asModelBundleError(new Error('plain'))).toBeUndefined();
    expect(asModelBundleError(Object.assign(new ForeignError('bad code'), { code: 'NOT_A_CODE' }))).toBeUndefined();
    expect(asModelBundleError(null)).toBeUndefined();
  });

  const codes = Object.entries(ErrorCodes) as [ErrorCode, { http: number; exit: number }][];

  it.each(codes)('%s has an HTTP status and an exit code', (code, { http, exit }) => {
    expect(Number.isInteger(http) && http >= 400 && http <= 599).toBe(true);
    expect(Number.isInteger(exit) && exit >= 1 && exit <= 125).toBe(true);
    const error = new ModelBundleError(code, 'what, expected, what to do');
    expect(error.httpStatus).toBe(http);
    expect(error.exitCode).toBe(exit);
  });

  it('gives every code its own exit code', () => {
    const exits = codes.map(([, { exit }]) => exit);
    expect(new Set(exits).size).toBe(exits.length);
  });

  it('carries code, cause and details, and serializes without the cause', () => {
    const cause = new Error('disk on fire');
    const error = new ModelBundleError('IO_ERROR', 'Could not write "x".', { cause, details: { path: 'x' } });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('ModelBundleError');
    expect(error.code).toBe('IO_ERROR');
    expect(error.cause).toBe(cause);
    expect(error.details).toEqual({ path: 'x' });
    expect(JSON.parse(JSON.stringify(error))).toEqual({ code: 'IO_ERROR', message: 'Could not write "x".', details: { path: 'x' } });
    expect(new ModelBundleError('INTERNAL', 'm').cause).toBeUndefined();
    expect(isModelBundleError(error)).toBe(true);
    expect(isModelBundleError(error, 'IO_ERROR')).toBe(true);
    expect(isModelBundleError(error, 'CORRUPT')).toBe(false);
    expect(isModelBundleError(cause)).toBe(false);
  });
});

describe('CORE_VERSION', () => {
  it('equals the version in package.json', async () => {
    const manifest = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(CORE_VERSION).toBe(manifest.version);
  });
});
