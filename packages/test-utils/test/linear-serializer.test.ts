import { ModelBundleError, type Serializer } from '@modelbundle/core';
import { testSerializer } from '@modelbundle/test-utils';

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

// The suite is generic: it runs against any serializer, not only tfjs.
testSerializer<Linear>({
  name: 'example linear model',
  serializer: linearSerializer,
  makeValue: () => new Linear(Float64Array.from([0.5, -1.25, 2]), 0.125),
  equals: (a, b) => a.bias === b.bias && a.weights.every((w, i) => Object.is(w, b.weights[i])),
  foreignValues: [{ weights: [1], bias: 0 }],
  predictRows: [{ x: [1, 2, 3] }, { x: [0, 0, 0] }],
});
