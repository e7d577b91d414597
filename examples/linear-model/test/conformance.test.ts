import { createBundle, encodeBundle } from '@modelbundle/core';
import { draft, expectCode, testSerializer } from '@modelbundle/testing';
import { type LinearModel, linearPlugin } from 'modelbundle-plugin-linear';
import { it } from 'vitest';
import { fittedClassifier, fittedRegression, sameModel } from './data.js';

testSerializer<LinearModel>({
  name: 'linear regression',
  plugin: linearPlugin,
  makeValue: fittedRegression,
  equals: sameModel,
  foreignValues: [{ weights: [1, 2], intercept: 0 }],
  predictRows: [
    { a: 1, b: 2 },
    { a: -0.5, b: 0 },
  ],
});

testSerializer<LinearModel>({
  name: 'logistic regression',
  plugin: linearPlugin,
  makeValue: fittedClassifier,
  equals: sameModel,
  predictRows: [
    { a: 1, b: 2 },
    { a: -2, b: -1 },
    { a: 0, b: 0 },
  ],
  additionalTests: (context) => {
    it('refuses a classification payload without its two class labels', async () => {
      const { header, sections } = await context.registry().bundle(context.value, context.bundleOptions);
      const { classes: _classes, ...payload } = header.payload;
      const forged = await createBundle(draft({ kind: header.kind, serializer: header.serializer, payload }), sections);
      await expectCode(context.registry().unbundle(encodeBundle(forged)), 'SERIALIZATION_FAILED', 'payload.classes');
    });
  },
});
