import { type BundleParts, ModelBundleError, type Serializer, type UnbundleParts } from '@modelbundle/core';

/** A tiny real model: y = weights · x + bias over named features. */
export class LinearModel {
  constructor(
    readonly features: readonly string[],
    readonly weights: Float32Array,
    readonly bias: number,
  ) {}

  predict(row: Record<string, number>): number {
    let y = this.bias;
    for (const [i, name] of this.features.entries()) y += (this.weights[i] as number) * (row[name] ?? 0);
    return y;
  }
}

/**
 * Serializer for {@link LinearModel}, written the way every serializer must
 * read hostile payloads: check every field and size before allocating.
 */
export const linearSerializer: Serializer<LinearModel> = {
  kind: 'test.linear',
  version: '1.0.0',
  reads: '^1.0.0',
  canBundle: (value) => value instanceof LinearModel,
  bundle(model): BundleParts {
    const weights = new Uint8Array(model.weights.buffer.slice(model.weights.byteOffset, model.weights.byteOffset + model.weights.byteLength));
    return {
      payload: { features: [...model.features], bias: model.bias, dtype: 'float32', shape: [model.weights.length] },
      sections: [['weights', weights]],
      summary: { features: model.features.length },
    };
  },
  unbundle({ payload, sections }: UnbundleParts): LinearModel {
    const { features, bias, dtype, shape } = payload;
    if (!Array.isArray(features) || !features.every((f) => typeof f === 'string')) throw bad('payload.features must be an array of strings');
    if (typeof bias !== 'number' || !Number.isFinite(bias)) throw bad('payload.bias must be a finite number');
    if (dtype !== 'float32') throw bad(`payload.dtype must be "float32", found ${JSON.stringify(dtype)}`);
    if (!Array.isArray(shape) || shape.length !== 1 || !Number.isSafeInteger(shape[0]) || (shape[0] as number) < 0) {
      throw bad('payload.shape must be [n] with n a non-negative integer');
    }
    const n = shape[0] as number;
    const bytes = sections.get('weights');
    // Shape times dtype size must equal the section length before anything is allocated.
    if (!bytes || bytes.byteLength !== n * 4 || features.length !== n) {
      throw bad(`weights must be ${n} float32 values for ${features.length} features, found ${bytes?.byteLength ?? 'no'} bytes`);
    }
    return new LinearModel(features as string[], new Float32Array(bytes.slice().buffer), bias);
  },
};

function bad(what: string): ModelBundleError {
  return new ModelBundleError('MALFORMED', `test.linear payload is invalid: ${what}. Re-save the model.`, { details: { region: 'payload' } });
}
