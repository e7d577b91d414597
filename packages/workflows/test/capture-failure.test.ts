import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import v8 from 'node:v8';
import { createRegistry } from '@modelbundle/core';
import { expectCode } from '@modelbundle/testing';
import { CAPTURE_FAILED_WARNING, type FittedWorkflow, fit, liveModelOf, predict, sequentialSpec, workflowsPlugin } from '@modelbundle/workflows';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { penguins, REPO_ROOT, type Row, runScript, scratchDir } from './helpers.js';

/** A custom layer: doubles its input. Not registered with tfjs unless a test does so. */
class Doubler extends tfl.layers.Layer {
  static className = 'WorkflowsTestDoubler';
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => tf.mul(Array.isArray(inputs) ? inputs[0]! : inputs, 2));
  }
}
class RegisteredDoubler extends Doubler {
  static override className = 'WorkflowsTestRegisteredDoubler';
}

const spec = sequentialSpec({ mode: 'classification', blocks: [{ block: 'dense', args: { units: 4 } }, { block: 'doubler' }], fit: { epochs: 2, seed: 3 } });
let data: Row[];
let rows: Row[];
let scratch: Awaited<ReturnType<typeof scratchDir>>;

/** Fits while collecting the warnings the process emits. */
async function fitCollectingWarnings(layer: typeof Doubler): Promise<{ workflow: FittedWorkflow; warnings: (Error & { code?: string })[] }> {
  const warnings: (Error & { code?: string })[] = [];
  const listener = (w: Error) => warnings.push(w);
  process.on('warning', listener);
  try {
    const workflow = await fit(spec, data, { outcome: 'Species', blocks: { doubler: () => new layer({}) } });
    await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
    return { workflow, warnings };
  } finally {
    process.off('warning', listener);
  }
}

beforeAll(async () => {
  data = await penguins();
  rows = data.slice(0, 4).map(({ Species: _, ...rest }) => rest);
  scratch = await scratchDir();
});
afterAll(() => scratch?.cleanup());

describe('capture failure: a model that cannot be serialized at fit time', () => {
  let workflow: FittedWorkflow;
  let warnings: (Error & { code?: string })[];
  beforeAll(async () => {
    ({ workflow, warnings } = await fitCollectingWarnings(Doubler));
  });

  it(`fit emits a ${CAPTURE_FAILED_WARNING} warning that names the class, and stores no bytes`, () => {
    const ours = warnings.filter((w) => w.code === CAPTURE_FAILED_WARNING);
    expect(ours).toHaveLength(1);
    expect(ours[0]!.message).toContain('WorkflowsTestDoubler');
    expect(ours[0]!.message).toContain('registerClass');
    expect(workflow.modelBytes).toBeNull();
    expect(workflow.captureFailure).toMatchObject({ code: CAPTURE_FAILED_WARNING });
    expect(workflow.captureFailure!.reason).toContain('WorkflowsTestDoubler');
  });

  it('predict on the live object still works', async () => {
    expect(liveModelOf(workflow)).toBeDefined();
    const out = await predict(workflow, rows, { type: 'prob' });
    expect(out).toHaveLength(rows.length);
    for (const row of out) expect(Object.values(row).reduce((a, b) => (a as number) + (b as number), 0)).toBeCloseTo(1, 5);
  });

  it('predict on a copy fails with MODEL_NOT_CAPTURED saying why and how to fix it', async () => {
    const copy = structuredClone(workflow);
    const { message } = await expectCode(predict(copy, rows), 'MODEL_NOT_CAPTURED');
    expect(message).toContain('not captured at fit time');
    expect(message).toContain('WorkflowsTestDoubler');
    expect(message).toContain('tf.serialization.registerClass');
  });

  it('predict after a reload in a new process fails with MODEL_NOT_CAPTURED', async () => {
    const file = join(scratch.dir, 'uncaptured.v8');
    await writeFile(file, v8.serialize({ workflow, rows }));
    const stdout = await runScript(
      join(scratch.dir, 'reload-uncaptured.mjs'),
      `import { readFileSync } from 'node:fs';
import v8 from 'node:v8';
import { predict } from '@modelbundle/workflows';
const { workflow, rows } = v8.deserialize(readFileSync(process.argv[2]));
try {
  await predict(workflow, rows);
  process.stdout.write(JSON.stringify({ ok: true }));
} catch (error) {
  process.stdout.write(JSON.stringify({ name: error.name, code: error.code, message: error.message }));
}
`,
      { args: [file], cwd: REPO_ROOT },
    );
    const result = JSON.parse(stdout);
    expect(result).toMatchObject({ name: 'ModelBundleError', code: 'MODEL_NOT_CAPTURED' });
    expect(result.message).toContain('WorkflowsTestDoubler');
  });

  it('bundling it fails with MODEL_NOT_CAPTURED instead of writing a bundle nobody could load', async () => {
    await expectCode(createRegistry({ autoload: false }).registerPlugin(workflowsPlugin).bundle(workflow), 'MODEL_NOT_CAPTURED');
  });

  it('the documented fix works: with the class registered, fit captures the bytes and copies predict', async () => {
    tf.serialization.registerClass(RegisteredDoubler);
    const fixed = await fitCollectingWarnings(RegisteredDoubler);
    expect(fixed.warnings.filter((w) => w.code === CAPTURE_FAILED_WARNING)).toHaveLength(0);
    expect(fixed.workflow.modelBytes).toBeInstanceOf(Uint8Array);
    const expected = await predict(fixed.workflow, rows, { type: 'prob' });
    expect(await predict(structuredClone(fixed.workflow), rows, { type: 'prob' })).toEqual(expected);
  });
});
