import { flattenValue, ModelBundleError, type Predictor } from '@modelbundle/core';
import { describeValue, preview } from '@modelbundle/core/internal';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { checkRequestOutputs, defaultRequestBudget } from './output-budget.js';
import { modelPtype, type TensorInfo } from './summary.js';

/** Options of {@link tfjsPredictor}. */
export interface TfjsPredictorOptions {
  /**
   * Most values the layer outputs of one predict call may hold in all, summed over every layer
   * (default: the `MODELBUNDLE_TFJS_MAX_REQUEST_ELEMENTS` environment variable, else {@link DEFAULT_REQUEST_ELEMENTS}:
   * 268,435,456, 1 GiB of float32). A bigger batch is refused with LIMIT_EXCEEDED.
   */
  maxRequestElements?: number;
}

/**
 * A generic predictor over a layers model. Each row is either one input's
 * value (for a single-input model: a number list, nested lists, or a flat
 * list of the input's size) or an object keyed by input name. Each output
 * row is an object keyed by output name, holding the output without its
 * batch dimension (nested lists, or a number for a single value).
 */
export function tfjsPredictor(model: LayersModel, options: TfjsPredictorOptions = {}): Predictor {
  const ptype = modelPtype(model);
  const budget = options.maxRequestElements ?? defaultRequestBudget();
  return {
    ptype,
    types: ['numeric'],
    async predict(rows, options = {}) {
      if (options.type !== undefined && options.type !== 'numeric') {
        throw new ModelBundleError('INVALID_ARGUMENT', `Prediction type "${options.type}" is not offered by a tfjs model; use "numeric".`);
      }
      if (!Array.isArray(rows) || rows.length === 0) {
        throw new ModelBundleError('INVALID_INPUT', `predict() got ${Array.isArray(rows) ? 'no rows' : typeof rows}; expected a non-empty list of rows.`);
      }
      const inputs = ptype.inputs.map((info) => batchTensor(info, rows, ptype.inputs.length));
      try {
        // Before any layer runs: weightless layers (RepeatVector, UpSampling...) could grow the batch without bound.
        checkRequestOutputs(
          model,
          inputs.map((t) => [...t.shape]),
          budget,
        );
        const outputs = tf.tidy(() => {
          const out = model.predict(inputs.length === 1 ? (inputs[0] as tf.Tensor) : inputs);
          return Array.isArray(out) ? out : [out];
        });
        try {
          const values = await Promise.all(outputs.map((t) => t.array()));
          return rows.map((_, r) => {
            const row: Record<string, unknown> = {};
            ptype.outputs.forEach((info, o) => {
              const value = (values[o] as unknown[])[r];
              row[info.name] = Array.isArray(value) && value.length === 1 && !Array.isArray(value[0]) ? value[0] : value;
            });
            return row;
          });
        } finally {
          tf.dispose(outputs);
        }
      } finally {
        tf.dispose(inputs);
      }
    },
  };
}

/** One input's values for every row, as a batch tensor of the input's dtype. */
function batchTensor(info: TensorInfo, rows: readonly unknown[], inputCount: number): tf.Tensor {
  const dims = (info.shape ?? [null]).slice(1);
  const values: number[] = [];
  let rowShape: number[] | undefined;
  rows.forEach((row, r) => {
    const value = pick(row, info.name, inputCount, r);
    const { flat, shape } = flattenValue(value, `row ${r}, input "${info.name}"`);
    const fitted = fitShape(flat.length, shape, dims, `row ${r}, input "${info.name}"`);
    if (rowShape && fitted.join() !== rowShape.join()) {
      throw new ModelBundleError(
        'INVALID_INPUT',
        `Row ${r}, input "${info.name}" has shape [${fitted}], but row 0 has [${rowShape}]. All rows must have the same shape.`,
      );
    }
    rowShape = fitted;
    for (const v of flat) {
      if (typeof v !== 'number') {
        throw new ModelBundleError(
          'INVALID_INPUT',
          `Row ${r}, input "${info.name}" holds ${describeValue(v)} (${preview(v)}); expected numbers or nested lists of numbers.`,
        );
      }
      if (info.dtype === 'int32' ? !Number.isInteger(v) : !Number.isFinite(v)) {
        throw new ModelBundleError(
          'INVALID_INPUT',
          `Row ${r}, input "${info.name}" holds ${v}; expected ${info.dtype === 'int32' ? 'integers' : 'finite numbers'}.`,
        );
      }
      values.push(v as number);
    }
  });
  return tf.tensor(values, [rows.length, ...(rowShape ?? [])], info.dtype === 'int32' ? 'int32' : 'float32');
}

function pick(row: unknown, name: string, inputCount: number, r: number): unknown {
  if (Array.isArray(row) || typeof row === 'number') {
    if (inputCount === 1) return row;
    throw new ModelBundleError('INVALID_INPUT', `Row ${r} is a list, but the model has ${inputCount} inputs; give an object keyed by input name.`);
  }
  if (row && typeof row === 'object' && name in row) return (row as Record<string, unknown>)[name];
  throw new ModelBundleError('INVALID_INPUT', `Row ${r} has no value for input "${name}"; expected a list of numbers or an object with key "${name}".`);
}

/** Accepts nested values of the input's shape, or a flat list of its size (when the shape is fully known). */
function fitShape(size: number, shape: number[], dims: (number | null)[], where: string): number[] {
  const matches = shape.length === dims.length && dims.every((d, i) => d === null || d === shape[i]);
  if (matches) return shape;
  const known = dims.every((d) => d !== null);
  if (known && size === dims.reduce<number>((a, d) => a * (d as number), 1)) return dims as number[];
  throw new ModelBundleError(
    'INVALID_INPUT',
    `${where} has shape [${shape}]; the model expects [${dims.map((d) => d ?? 'any')}]${known ? ` or a flat list of ${dims.reduce<number>((a, d) => a * (d as number), 1)} numbers` : ''}.`,
  );
}
