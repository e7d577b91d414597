import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ensureBackend } from '@modelbundle/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerKerasLayers } from '../src/index.js';
import { FIXTURES, importAndPredict, missingOracleDeps, nest, oraclePredict, type Prediction, PYTHON, worstRelative } from './oracle.js';

/** Model files Keras itself wrote, taken from public repositories (test/fixtures/keras/real/SOURCES.md). */
const REAL = join(FIXTURES, 'real');
const BATCH = 3;

/** What each file's bundle summary must say. */
const FILES: Record<string, { format: string; kerasVersion: string; kind: string; parameters: number; inputShape: (number | null)[] }> = {
  // Keras 3.13 zip; its InputLayer was built with a fixed batch of 32, which the import keeps.
  'mnist.keras': { format: 'keras', kerasVersion: '3.13.0', kind: 'tfjs.sequential', parameters: 109108, inputShape: [32, 28, 28] },
  // Keras 2.4 whole-model HDF5 (MLPerf Tiny's ResNet-8).
  'pretrainedResnet.h5': { format: 'h5', kerasVersion: '2.4.0', kind: 'tfjs.functional', parameters: 78666, inputShape: [null, 32, 32, 3] },
  // Keras 2.13.1 zip: weights under _layer_checkpoint_dependencies, its second Dense stored as dense_2.
  'iris_model.keras': { format: 'keras', kerasVersion: '2.13.1', kind: 'tfjs.sequential', parameters: 131, inputShape: [null, 4] },
};

const results = new Map<string, Prediction>();
const numpy = new Map<string, unknown[]>();
let iris: { groups: string[]; outputs: unknown[] } | undefined;
const missing = missingOracleDeps();

/**
 * The iris model's forward pass in numpy, straight from the datasets of its model.weights.h5 (the numpy oracle
 * addresses Keras 2.13's list by the later naming, so this file gets its own two-layer check).
 */
const IRIS_FORWARD = `
import io, json, sys, zipfile, h5py, numpy as np
job = json.load(sys.stdin)
h5 = h5py.File(io.BytesIO(zipfile.ZipFile(job["file"]).read("model.weights.h5")), "r")
groups = sorted(h5["_layer_checkpoint_dependencies"].keys())
x = np.array(job["input"], dtype=np.float64)
for group, activation in (("dense", "relu"), ("dense_2", "softmax")):
    vars = h5["_layer_checkpoint_dependencies/%s/vars" % group]
    x = x @ np.array(vars["0"], dtype=np.float64) + np.array(vars["1"], dtype=np.float64)
    x = np.maximum(x, 0) if activation == "relu" else np.exp(x - x.max(-1, keepdims=True))
x = x / x.sum(-1, keepdims=True)
print(json.dumps({"groups": groups, "outputs": [x.tolist()]}))
`;

beforeAll(async () => {
  await ensureBackend();
  registerKerasLayers();
  for (const file of Object.keys(FILES)) results.set(file, await importAndPredict(join(REAL, file), BATCH));
  if (missing) return;
  const viaOracle = ['mnist.keras', 'pretrainedResnet.h5'];
  const answers = oraclePredict(
    viaOracle.map((file) => {
      const r = results.get(file) as Prediction;
      return { file: join(REAL, file), inputs: r.inputs.map((x) => nest(x.values, x.shape)) };
    }),
  );
  for (const [i, file] of viaOracle.entries()) numpy.set(file, answers[i] as unknown[]);
  const x = (results.get('iris_model.keras') as Prediction).inputs[0] as { shape: number[]; values: number[] };
  const run = spawnSync(PYTHON, ['-B', '-c', IRIS_FORWARD], {
    input: JSON.stringify({ file: join(REAL, 'iris_model.keras'), input: nest(x.values, x.shape) }),
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`The iris forward pass failed: ${run.stderr || String(run.error)}`);
  iris = JSON.parse(run.stdout);
  numpy.set('iris_model.keras', (iris as { outputs: unknown[] }).outputs);
}, 120_000);

describe('model files written by Keras import', () => {
  it.each(Object.keys(FILES))('%s: the summary records the source format and Keras version', (file) => {
    const want = FILES[file] as (typeof FILES)[string];
    const { summary } = results.get(file) as Prediction;
    expect(summary.keras).toEqual({ format: want.format, kerasVersion: want.kerasVersion, kerasClasses: [] });
    expect(summary).toMatchObject({ kind: want.kind, parameters: want.parameters, tfjsLayers: want.kerasVersion });
    expect((summary.inputs as { shape: unknown }[])[0]?.shape).toEqual(want.inputShape);
  });
});

describe.skipIf(missing !== null)('model files written by Keras predict what numpy computes', () => {
  it.each(Object.keys(FILES))('%s', (file) => {
    const result = results.get(file) as Prediction;
    expect(worstRelative(result.tfjs, numpy.get(file) as unknown[])).toBeLessThan(1e-5);
  });

  it('the Keras 2.13 file names its second Dense dense_2, as Keras 2.13 counted each layer with weights twice', () => {
    expect(iris?.groups).toEqual(['dense', 'dense_2']);
  });
});
