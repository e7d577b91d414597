import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBundle, createRegistry, encodeBundle, inspect } from '@modelbundle/core';
import { expectCode } from '@modelbundle/testing';
import { fitLinearRegression, fitLogisticRegression, LinearModel, linearPlugin } from 'modelbundle-plugin-linear';
import { describe, expect, it } from 'vitest';
import { classificationData, fittedClassifier, fittedRegression, regressionData, sameModel } from './data.js';

const here = dirname(fileURLToPath(import.meta.url));
const registry = () => createRegistry({ autoload: false }).registerPlugin(linearPlugin);

describe('fitting', () => {
  it('least squares recovers the coefficients of noiseless data', () => {
    const model = fitLinearRegression(regressionData(30, 0));
    expect(model.intercept).toBeCloseTo(2, 9);
    expect(model.weights[0]).toBeCloseTo(0.5, 9);
    expect(model.weights[1]).toBeCloseTo(-3, 9);
  });

  it('gradient descent separates two classes and gives calibrated-looking probabilities', () => {
    const data = classificationData();
    const model = fitLogisticRegression({ ...data, iterations: 500 });
    expect(model.classes).toEqual(['no', 'yes']);
    const predicted = model.predictClass(data.x);
    const accuracy = predicted.filter((label, i) => label === data.y[i]).length / data.y.length;
    expect(accuracy).toBeGreaterThanOrEqual(0.95);
    for (const p of model.predict(data.x)) expect(p > 0 && p < 1).toBe(true);
  });

  it('refuses collinear features and ragged rows, saying what to do', () => {
    expect(() =>
      fitLinearRegression({
        x: [
          [1, 2],
          [2, 4],
          [3, 6],
        ],
        y: [1, 2, 3],
        features: ['a', 'b'],
      }),
    ).toThrow(/collinear/);
    expect(() => fitLinearRegression({ x: [[1], [2, 3]], y: [1, 2], features: ['a'] })).toThrow(/Row 1/);
  });
});

describe('payload 2.0', () => {
  it('stores weights and intercept as little-endian float64 sections and restores them bit for bit', async () => {
    const model = fittedRegression();
    const bytes = encodeBundle(await registry().bundle(model));
    const { header } = await inspect(bytes);
    expect(header.kind).toBe('linear.model');
    expect(header.serializer).toMatchObject({ version: '2.0.0', package: 'modelbundle-plugin-linear', plugin: 'linearPlugin' });
    expect(header.sections.map((s) => [s.name, s.length])).toEqual([
      ['weights', 16],
      ['intercept', 8],
    ]);
    expect(header.ptype).toEqual({
      columns: [
        { name: 'a', type: 'number' },
        { name: 'b', type: 'number' },
      ],
    });
    const restored = await registry().unbundle<LinearModel>(bytes);
    expect(restored).toBeInstanceOf(LinearModel);
    expect(sameModel(model, restored)).toBe(true);
  });

  it('predicts through the generic predictor: numeric for regression, class and prob for classification', async () => {
    const reg = registry();
    const regression = await reg.unbundle<LinearModel>(encodeBundle(await reg.bundle(fittedRegression())));
    const [row] = await reg.predictor('linear.model', regression).predict([{ a: 1, b: 1 }]);
    expect(row?.['.pred']).toBeCloseTo(2 + 0.5 - 3, 1);
    const classifier = await reg.unbundle<LinearModel>(encodeBundle(await reg.bundle(fittedClassifier())));
    const predictor = reg.predictor('linear.model', classifier);
    expect(predictor.types).toEqual(['class', 'prob']);
    expect(
      await predictor.predict([
        { a: 2, b: 2 },
        { a: -2, b: -2 },
      ]),
    ).toEqual([{ '.pred_class': 'yes' }, { '.pred_class': 'no' }]);
    const [prob] = await predictor.predict([{ a: 2, b: 2 }], { type: 'prob' });
    expect((prob?.['.pred_yes'] as number) + (prob?.['.pred_no'] as number)).toBeCloseTo(1, 12);
    const bad = await expectCode(predictor.predict([{ a: 1 }]), 'INVALID_INPUT');
    expect(bad.message).toContain('"b" is missing');
  });

  it('refuses a payload newer than it reads, naming the version to upgrade to', async () => {
    const bundle = await registry().bundle(fittedRegression());
    const { format: _format, sections: _sections, ...draft } = bundle.header;
    const future = await createBundle({ ...draft, serializer: { ...draft.serializer, version: '3.0.0' } }, bundle.sections);
    const error = await expectCode(registry().unbundle(future), 'UNSUPPORTED_PAYLOAD');
    expect(error.message).toContain('3.0.0');
  });
});

describe('payload 1.x bundles (committed, written by releases 1.x) still load', () => {
  const dir = join(here, 'fixtures', 'v1');
  const fixtures = readdirSync(dir).filter((f) => f.endsWith('.mbnd'));

  it('has committed 1.x fixtures', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(2);
  });

  it.each(fixtures)('%s migrates to 2.0 and predicts what it predicted when written', async (file) => {
    const bytes = new Uint8Array(readFileSync(join(dir, file)));
    const expected = JSON.parse(readFileSync(join(dir, file.replace(/\.mbnd$/, '.json')), 'utf8'));
    const { header } = await inspect(bytes);
    expect(header.serializer.version).toBe(expected.payloadVersion);
    expect(header.sections.map((s) => s.name)).toEqual(['coefficients']);
    const reg = registry();
    const model = await reg.unbundle<LinearModel>(bytes);
    expect(model).toBeInstanceOf(LinearModel);
    const predictions = await reg.predictor('linear.model', model).predict(expected.rows, { type: expected.type });
    expect(predictions).toEqual(expected.predictions);
    // Saved again, it is a 2.0 bundle.
    expect((await inspect(encodeBundle(await reg.bundle(model)))).header.serializer.version).toBe('2.0.0');
  });

  it.each(fixtures)('%s loads under the strict requirements policy, without warnings', async (file) => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.message);
    process.on('warning', onWarning);
    try {
      const model = await registry().unbundle<LinearModel>(new Uint8Array(readFileSync(join(dir, file))), { requirements: 'strict' });
      expect(model).toBeInstanceOf(LinearModel);
      await new Promise((done) => setImmediate(done));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).toEqual([]);
  });

  it('a damaged 1.x payload fails with SERIALIZATION_FAILED, not a crash', async () => {
    const bytes = new Uint8Array(readFileSync(join(dir, fixtures[0] as string)));
    const bundle = await registry().bundle(fittedRegression());
    const { header } = await inspect(bytes);
    const { format: _f, sections: _s, ...draft } = header;
    const broken = await createBundle({ ...draft, payload: { ...header.payload, features: ['a', 'b', 'c'] } }, [
      ['coefficients', bundle.sections.get('weights') as Uint8Array],
    ]);
    const error = await expectCode(registry().unbundle(broken), 'SERIALIZATION_FAILED');
    expect(error.message).toContain('"coefficients" section of 32 bytes');
  });
});
