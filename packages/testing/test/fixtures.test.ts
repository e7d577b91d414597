import { createBundle, decodeBundle, encodeBundle, ModelBundleError } from '@modelbundle/core';
import { draft, expectCode } from '@modelbundle/testing';
import { describe, expect, it } from 'vitest';

/** The assertion message expectCode fails with, or undefined when it passes. */
async function failureOf(check: Promise<unknown>): Promise<string | undefined> {
  return check.then(
    () => undefined,
    (error: unknown) => (error as Error).message,
  );
}

const malformed = () => new ModelBundleError('MALFORMED', 'payload.size is -1; expected a count');

describe('expectCode', () => {
  it('passes for a rejected promise, a throwing function and an async function, and returns the error', async () => {
    const fromPromise = await expectCode(Promise.reject(malformed()), 'MALFORMED', 'payload.size');
    expect(fromPromise).toBeInstanceOf(ModelBundleError);
    expect((await expectCode(() => decodeBundle(new Uint8Array(3)), ['TRUNCATED', 'NOT_A_BUNDLE'])).details).toBeDefined();
    await expectCode(() => {
      throw malformed();
    }, 'MALFORMED');
    await expectCode(
      async () => {
        throw malformed();
      },
      'MALFORMED',
      /size is -\d/,
    );
  });

  it('fails, saying what happened instead, when the call succeeds or throws something else', async () => {
    expect(await failureOf(expectCode(Promise.resolve({ rows: 2 }), 'MALFORMED'))).toContain(
      'expected a ModelBundleError MALFORMED, but it succeeded with {"rows":2}',
    );
    expect(await failureOf(expectCode(Promise.reject(new TypeError('x is not a function')), 'MALFORMED'))).toContain(
      'but it threw TypeError: x is not a function',
    );
    expect(await failureOf(expectCode(Promise.reject(malformed()), 'CORRUPT'))).toContain(
      'expected a ModelBundleError CORRUPT, got MALFORMED: payload.size is -1',
    );
    expect(await failureOf(expectCode(Promise.reject(malformed()), 'MALFORMED', 'weights'))).toContain('the MALFORMED message should mention "weights"');
  });

  it('names a second copy of @modelbundle/core when the error only looks like one', async () => {
    const lookalike = Object.assign(new Error('from elsewhere'), { name: 'ModelBundleError', code: 'MALFORMED' });
    expect(await failureOf(expectCode(Promise.reject(lookalike), 'MALFORMED'))).toContain('another copy of @modelbundle/core');
  });
});

describe('draft', () => {
  it('is a complete header draft that createBundle accepts, the same bytes every time', async () => {
    const a = encodeBundle(await createBundle(draft(), [['w', Uint8Array.of(1, 2, 3)]]));
    const b = encodeBundle(await createBundle(draft(), [['w', Uint8Array.of(1, 2, 3)]]));
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect((await decodeBundle(a)).header).toMatchObject({ kind: 'test.model', created: '2026-01-01T00:00:00.000Z', metadata: {} });
  });

  it('applies overrides over the defaults, without sharing objects between calls', () => {
    expect(draft({ kind: 'x.y', metadata: { n: 1 } })).toMatchObject({ kind: 'x.y', metadata: { n: 1 }, serializer: { version: '1.0.0' } });
    const first = draft();
    (first.metadata as Record<string, unknown>).changed = true;
    expect(draft().metadata).toEqual({});
  });
});
