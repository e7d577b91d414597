import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expectCode } from '@modelbundle/testing';
import { ensureBackend } from '@modelbundle/tfjs';
import { fit, functionalSpec, listBlocks, predict, registerBlock, sequentialSpec, WORKFLOWS_VERSION } from '@modelbundle/workflows';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from '../src/spec/build.js';
import { assertSpec, isPlainData } from '../src/spec/validate.js';
import { PACKAGE_DIR, penguins } from './helpers.js';

beforeAll(() => ensureBackend());

describe('model specs are plain data plus builder code', () => {
  it('a sequential spec builds an input layer, its blocks with repeats, and a head from the mode', () => {
    const spec = sequentialSpec({
      mode: 'classification',
      blocks: [
        { block: 'dense', repeat: 2, args: { units: 5 } },
        { block: 'dropout', args: { rate: 0.2 } },
      ],
    });
    expect(isPlainData(spec)).toBe(true);
    const model = buildModel(spec, { inputSize: 7, outputs: 3 });
    expect(model.layers.map((l) => l.getClassName())).toEqual(['InputLayer', 'Dense', 'Dense', 'Dropout', 'Dense']);
    expect(model.layers.map((l) => l.name)).toEqual(['input', 'block1_dense_1', 'block1_dense_2', 'block2_dropout', 'head']);
    expect(model.inputs[0]!.shape).toEqual([null, 7]);
    expect(model.outputs[0]!.shape).toEqual([null, 3]);
    model.dispose();
  });

  it('a functional spec builds its named graph; the head follows the output node', () => {
    const spec = functionalSpec({
      mode: 'regression',
      nodes: {
        a: { block: 'dense', inputs: ['input'], args: { units: 3 } },
        b: { block: 'dense', inputs: ['input'], repeat: 2, args: { units: 2 } },
        joined: { block: 'concatenate', inputs: ['a', 'b'] },
      },
      output: 'joined',
    });
    const model = buildModel(spec, { inputSize: 4, outputs: 1 });
    expect(model.layers.map((l) => l.name).sort()).toEqual(['a', 'b_1', 'b_2', 'head', 'input', 'joined']);
    expect(model.outputs[0]!.shape).toEqual([null, 1]);
    expect(model.getLayer('joined').outputShape).toEqual([null, 5]);
    model.dispose();
  });

  it('a seed makes the initial weights repeatable', async () => {
    const spec = sequentialSpec({ mode: 'regression', blocks: [{ block: 'dense', args: { units: 4 } }], fit: { seed: 11 } });
    const a = buildModel(spec, { inputSize: 3, outputs: 1 });
    const b = buildModel(spec, { inputSize: 3, outputs: 1 });
    for (const [i, w] of a.getWeights().entries()) expect(Array.from(await w.data())).toEqual(Array.from(await b.getWeights()[i]!.data()));
    a.dispose();
    b.dispose();
  });

  it('rejects bad specs with one INVALID_ARGUMENT listing every problem', async () => {
    const { message } = await expectCode(
      () =>
        assertSpec({ type: 'sequential', mode: 'clustering', blocks: [{ block: 'dense', repeat: 0 }, { nope: 1 }], fit: { epochs: -1, validationSplit: 2 } }),
      'INVALID_ARGUMENT',
    );
    expect(message).toContain('mode is "clustering"');
    expect(message).toContain('blocks[0].repeat is 0');
    expect(message).toContain('blocks[1].block must be a block name');
    expect(message).toContain('fit.epochs is -1');
    expect(message).toContain('fit.validationSplit is 2');
    await expectCode(() => assertSpec(null), 'INVALID_ARGUMENT');
    await expectCode(
      () => assertSpec({ type: 'sequential', mode: 'regression', blocks: [{ block: 'dense', args: { activation: () => 1 } }] }),
      'INVALID_ARGUMENT',
      'plain data',
    );
  });

  it('rejects graphs with unknown inputs, a missing output, a reserved name or a cycle', async () => {
    const { message: cycle } = await expectCode(
      () =>
        functionalSpec({
          mode: 'regression',
          nodes: { a: { block: 'dense', inputs: ['b'] }, b: { block: 'dense', inputs: ['a'] }, c: { block: 'dense', inputs: ['ghost'] } },
          output: 'z',
        }),
      'INVALID_ARGUMENT',
    );
    expect(cycle).toContain('the graph has a cycle: a -> b -> a');
    expect(cycle).toContain('nodes.c.inputs names "ghost"');
    expect(cycle).toContain('output is "z"');
    await expectCode(
      () => functionalSpec({ mode: 'regression', nodes: { input: { block: 'dense', inputs: ['input'] } }, output: 'input' }),
      'INVALID_ARGUMENT',
      'reserved',
    );
  });

  it('unknown blocks fail at fit with the names that are known; registered blocks work by name', async () => {
    const data = (await penguins()).slice(0, 40);
    const spec = sequentialSpec({ mode: 'classification', blocks: [{ block: 'tinyDense', args: { width: 3 } }], fit: { epochs: 1 } });
    await expectCode(fit(spec, data, { outcome: 'Island' }), 'INVALID_ARGUMENT', 'registerBlock("tinyDense"');
    registerBlock('tinyDense', (args, c) => tfl.layers.dense({ units: args.width as number, name: c.name() }));
    expect(listBlocks()).toContain('tinyDense');
    const fitted = await fit(spec, data, { outcome: 'Island' });
    expect(fitted.spec).toEqual(spec);
    await expectCode(() => registerBlock('dense', () => tfl.layers.dense({ units: 1 })), 'INVALID_ARGUMENT', 'built-in');
  });

  it('learns input width and class count from the data, and training history per epoch', async () => {
    const data = await penguins();
    const spec = sequentialSpec({
      mode: 'classification',
      blocks: [{ block: 'dense', args: { units: 4 } }],
      fit: { epochs: 2, validationSplit: 0.2, seed: 1 },
    });
    const fitted = await fit(spec, data, { outcome: 'Island', predictors: ['Beak Length (mm)', 'Sex'] });
    expect(fitted.recipe.features).toEqual(['Beak Length (mm)', 'Sex_.', 'Sex_FEMALE', 'Sex_MALE']);
    expect(fitted.levels).toEqual(['Biscoe', 'Dream', 'Torgersen']);
    expect(fitted.history.epochs).toBe(2);
    expect(Object.keys(fitted.history.metrics).sort()).toEqual(['acc', 'loss', 'val_acc', 'val_loss']);
    expect(fitted.history.metrics.loss).toHaveLength(2);
  });

  it('a seed makes the whole fit repeatable: same history, same predictions', async () => {
    const data = await penguins();
    const spec = sequentialSpec({
      mode: 'regression',
      blocks: [
        { block: 'dense', args: { units: 4 } },
        { block: 'dropout', args: { rate: 0.2 } },
      ],
      fit: { epochs: 2, seed: 5 },
    });
    const a = await fit(spec, data, { outcome: 'Body Mass (g)' });
    const b = await fit(spec, data, { outcome: 'Body Mass (g)' });
    expect(b.history).toEqual(a.history);
    const rows = data.slice(0, 10).map(({ 'Body Mass (g)': _, ...rest }) => rest);
    expect(await predict(b, rows)).toEqual(await predict(a, rows));
  });

  it('the exported version matches package.json', async () => {
    const pkg = JSON.parse(await readFile(join(PACKAGE_DIR, 'package.json'), 'utf8'));
    expect(WORKFLOWS_VERSION).toBe(pkg.version);
    expect(pkg.modelbundle).toEqual({ plugin: 'workflowsPlugin' });
  });
});
