import { testSerializer } from '@modelbundle/testing';
import { ensureBackend, tfjsPlugin } from '@modelbundle/tfjs';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { denseModel, multiModel, sameModel } from './models.js';

testSerializer<LayersModel>({
  name: 'tfjs sequential',
  plugin: tfjsPlugin,
  kind: 'tfjs.sequential',
  setup: async () => {
    await ensureBackend();
  },
  makeValue: denseModel,
  equals: sameModel,
  dispose: (model) => model.dispose(),
  foreignValues: () => [multiModel()],
  predictRows: [[0.1, 0.2, 0.3, 0.4], { dense_Dense1_input: [1, 0, -1, 0.5] }],
});

testSerializer<LayersModel>({
  name: 'tfjs functional',
  plugin: tfjsPlugin,
  kind: 'tfjs.functional',
  setup: async () => {
    await ensureBackend();
  },
  makeValue: multiModel,
  equals: sameModel,
  // tfjs writes a default dtype into a reloaded Embedding's config, so the re-saved topology gains one field.
  capabilities: { rebundleIdentical: false },
  dispose: (model) => model.dispose(),
  foreignValues: () => [denseModel()],
  predictRows: [
    { a: [1, 2, 3], b: [0, 0, 1], ids: [1, 4] },
    { a: [0, 0, 0], b: [1, 1, 1], ids: [0, 2] },
  ],
});
