import { encodeBundle, inspect } from '@modelbundle/core';
import { bundleToModel, ensureBackend, modelToBundle, type TfjsSummary } from '@modelbundle/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { modelFromParts, modelParts } from '../src/parts.js';
import { convModel, denseModel, multiModel, nestedModel, predictionBytes, recurrentModel, sampleInputs, weightBytes } from './models.js';

beforeAll(async () => {
  await ensureBackend();
});

const cases: { name: string; make: () => tfl.LayersModel; kind: string; inputs: { dtype: string; shape: (number | null)[] }[] }[] = [
  { name: 'dense', make: denseModel, kind: 'tfjs.sequential', inputs: [{ dtype: 'float32', shape: [null, 4] }] },
  { name: 'conv2d + pooling + batch norm + dropout', make: convModel, kind: 'tfjs.sequential', inputs: [{ dtype: 'float32', shape: [null, 6, 6, 1] }] },
  { name: 'embedding + LSTM + GRU (int ids)', make: recurrentModel, kind: 'tfjs.sequential', inputs: [{ dtype: 'float32', shape: [null, 4] }] },
  {
    name: 'multi-input/multi-output functional with shared layer, Add, Concatenate, int32 input',
    make: multiModel,
    kind: 'tfjs.functional',
    inputs: [
      { dtype: 'float32', shape: [null, 3] },
      { dtype: 'float32', shape: [null, 3] },
      { dtype: 'int32', shape: [null, 2] },
    ],
  },
  { name: 'sequential nested in a functional model', make: nestedModel, kind: 'tfjs.functional', inputs: [{ dtype: 'float32', shape: [null, 3] }] },
];

describe.each(cases)('$name', ({ make, kind, inputs }) => {
  it('restores bitwise-equal weights and predictions', async () => {
    const model = make();
    const bytes = encodeBundle(await modelToBundle(model));
    const restored = await bundleToModel(bytes);
    const x = sampleInputs(model);
    try {
      const before = weightBytes(model);
      const after = weightBytes(restored);
      expect(after).toHaveLength(before.length);
      for (const [i, w] of after.entries()) expect(w.equals(before[i] as Buffer), `weight ${i}`).toBe(true);
      const p0 = predictionBytes(model, x);
      const p1 = predictionBytes(restored, x);
      for (const [i, p] of p1.entries()) expect(p.equals(p0[i] as Buffer), `output ${i}`).toBe(true);
    } finally {
      tf.dispose(x);
      model.dispose();
      restored.dispose();
    }
  });

  it('records kind, counts, inputs, outputs and backend in the header summary', async () => {
    const model = make();
    const { header } = await inspect(encodeBundle(await modelToBundle(model)));
    const summary = header.summary as TfjsSummary;
    expect(header.kind).toBe(kind);
    expect(summary.kind).toBe(kind);
    expect(summary.parameters).toBe(model.countParams());
    expect(summary.layers).toBe(model.layers.length);
    expect(summary.backend).toBe(tf.getBackend());
    expect(summary.customClasses).toEqual([]);
    expect(summary.inputs.map(({ dtype, shape }) => ({ dtype, shape }))).toEqual(inputs);
    expect(summary.outputs.map((o) => o.shape)).toEqual(model.outputs.map((o) => o.shape));
    expect(header.requires['@tensorflow/tfjs-layers']).toBe('^4.0.0');
    expect(header.ptype).toEqual({ inputs: summary.inputs, outputs: summary.outputs });
    model.dispose();
  });
});

describe('sections', () => {
  it('keeps the weights raw little-endian (small ones together in one section), and the topology in a JSON section', async () => {
    const model = denseModel();
    const bytes = encodeBundle(await modelToBundle(model));
    const { header } = await inspect(bytes);
    const payload = header.payload as { topology: string; weights: { name: string; section: string; offset?: number; shape: number[] }[] };
    expect(payload.topology).toBe('topology.json');
    const weights = model.getWeights();
    expect(payload.weights.map((w) => w.shape)).toEqual(weights.map((w) => w.shape));
    // Four small weights share one section, each at a 64-byte offset, the section ending with the last one.
    expect(new Set(payload.weights.map((w) => w.section)).size).toBe(1);
    const last = payload.weights.at(-1) as (typeof payload.weights)[number];
    expect(payload.weights.every((w) => (w.offset as number) % 64 === 0)).toBe(true);
    const section = header.sections.find((s) => s.name === last.section);
    expect(section?.length).toBe((last.offset as number) + (weights.at(-1) as tf.Tensor).size * 4);
    model.dispose();
  });

  it('embeds a model in another bundle under a section prefix, and restores it from those parts', async () => {
    const model = nestedModel();
    const parts = await modelParts(model, { prefix: 'steps/model/' });
    expect(parts.sections.every(([name]) => name.startsWith('steps/model/'))).toBe(true);
    const restored = await modelFromParts({ payload: parts.payload, sections: new Map(parts.sections as [string, Uint8Array][]) });
    expect(weightBytes(restored)).toEqual(weightBytes(model));
    model.dispose();
    restored.dispose();
  });

  it('refuses a prefix a section name cannot hold', async () => {
    const model = denseModel();
    await expect(modelParts(model, { prefix: 'bad prefix ' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    model.dispose();
  });
});
