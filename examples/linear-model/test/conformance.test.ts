import { testSerializer } from '@modelbundle/testing';
import { type LinearModel, linearPlugin } from 'modelbundle-plugin-linear';
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
});
