import { createBundle, createRegistry, encodeBundle, ModelBundleError, type Serializer } from '@modelbundle/core';
import { draft, expectCode, testSerializer } from '@modelbundle/testing';
import { expect, it } from 'vitest';

// The suite is generic: it runs against any serializer, not only tfjs. This
// file imports only published packages, so it also runs in a project outside
// the workspace (test/packaging).

/** A tiny non-tfjs model: y = w·x + b, its weights kept in one float64 section. */
class Linear {
  constructor(
    readonly weights: Float64Array,
    readonly bias: number,
  ) {}
}

const linearSerializer: Serializer<Linear> = {
  kind: 'example.linear',
  version: '1.2.0',
  reads: '^1.0.0',
  canBundle: (value) => value instanceof Linear,
  bundle: (model) => ({
    payload: { bias: model.bias, size: model.weights.length },
    sections: [['weights', new Uint8Array(model.weights.buffer.slice(0))]],
    summary: { parameters: model.weights.length + 1 },
    ptype: { x: 'number[]' },
  }),
  unbundle: ({ payload, sections }) => {
    const bytes = sections.get('weights');
    if (!bytes || bytes.byteLength !== (payload.size as number) * 8) throw new ModelBundleError('MALFORMED', 'weights section has the wrong size');
    return new Linear(new Float64Array(bytes.slice().buffer), payload.bias as number);
  },
  predictor: (model) => ({
    ptype: { x: 'number[]' },
    types: ['numeric'],
    async predict(rows) {
      if (rows.length === 0) throw new ModelBundleError('INVALID_INPUT', 'no rows given; expected at least one');
      return rows.map((row) => ({ y: (row as { x: number[] }).x.reduce((sum, v, i) => sum + v * (model.weights[i] ?? 0), model.bias) }));
    },
  }),
};

testSerializer<Linear>({
  name: 'tiny linear model',
  serializer: linearSerializer,
  makeValue: () => new Linear(Float64Array.from([0.5, -1.25, 2]), 0.125),
  equals: (a, b) => a.bias === b.bias && a.weights.every((w, i) => Object.is(w, b.weights[i])),
  foreignValues: [{ weights: [1], bias: 0 }],
  predictRows: [{ x: [1, 2, 3] }, { x: [0, 0, 0] }],
  additionalTests: (context) => {
    it('refuses a weights section of the wrong size with MALFORMED', async () => {
      const { header } = await context.registry().bundle(context.value, context.bundleOptions);
      const short = await createBundle(draft({ kind: header.kind, serializer: header.serializer, payload: header.payload }), [['weights', new Uint8Array(16)]]);
      await expectCode(context.registry().unbundle(encodeBundle(short)), 'MALFORMED', 'wrong size');
    });
  },
});

/** A value with nothing but a name: no section bytes, no predictor. */
class Label {
  constructor(readonly text: string) {}
}

const labelSerializer: Serializer<Label> = {
  kind: 'example.label',
  version: '1.0.0',
  reads: '^1.0.0',
  canBundle: (value) => value instanceof Label,
  bundle: (label) => ({ payload: { text: label.text } }),
  unbundle: ({ payload }) => new Label(String(payload.text)),
};

// Damage detection and the predictor check do not apply here: the suite reports them as skipped.
testSerializer<Label>({
  name: 'section-less label',
  serializer: labelSerializer,
  capabilities: { sections: false },
  makeValue: () => new Label('hello'),
  equals: (a, b) => a.text === b.text,
  additionalTests: (context) => {
    it('is found by kind in a registry that has it', async () => {
      const restored = await createRegistry({ autoload: false }).register(labelSerializer).unbundle<Label>(context.bytes);
      expect(restored.text).toBe('hello');
    });
  },
});
