import type { HeaderDraft } from '@modelbundle/core';

/**
 * A complete, fixed header draft for `createBundle`, with `overrides`
 * spread over it: the one fixture for tests that build bundles by hand
 * (no serializer involved). Every field is deterministic, so bundles built
 * from it are byte-for-byte reproducible.
 *
 * @example
 * const bundle = await createBundle(draft({ kind: 'test.other', metadata: { note: 'x' } }), [['w', bytes]]);
 */
export function draft(overrides: Partial<HeaderDraft> = {}): HeaderDraft {
  return {
    kind: 'test.model',
    serializer: { version: '1.0.0' },
    producer: { name: '@modelbundle/testing', version: '0.1.0' },
    created: '2026-01-01T00:00:00.000Z',
    requires: {},
    metadata: {},
    ptype: null,
    summary: {},
    payload: {},
    ...overrides,
  };
}
