import { createBundle, encodeBundle, type HeaderDraft, inspect } from '@modelbundle/core';
import { expectCode } from '@modelbundle/testing';
import { bundleToModel, ensureBackend, modelToBundle, type TfjsSummary } from '@modelbundle/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { sameModel } from './models.js';

/** A layer with a trainable scale per feature: a real custom layer with weights and config. */
class FeatureScale extends tfl.layers.Layer {
  static className = 'FeatureScale';
  private readonly offset: number;
  private scale?: tfl.LayerVariable;

  constructor(config: { offset?: number; name?: string } = {}) {
    super(config);
    this.offset = config.offset ?? 0;
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    this.scale = this.addWeight('scale', [shape[shape.length - 1] as number], 'float32', tfl.initializers.randomUniform({ minval: 0.5, maxval: 1.5, seed: 3 }));
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => tf.add(tf.mul(Array.isArray(inputs) ? (inputs[0] as tf.Tensor) : inputs, (this.scale as tfl.LayerVariable).read()), this.offset));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), offset: this.offset };
  }
}

/** Same class name, never registered: stands for code the loading process did not import. */
class Unregistered extends tfl.layers.Layer {
  static className = 'UnregisteredScale';
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => tf.mul(Array.isArray(inputs) ? (inputs[0] as tf.Tensor) : inputs, 2));
  }
}

/** Named but never registered: its bytes could not be restored anywhere. */
class NeverRegistered extends tfl.layers.Layer {
  static className = 'NeverRegisteredAtSave';
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return Array.isArray(inputs) ? (inputs[0] as tf.Tensor) : inputs;
  }
}

class Nameless extends tfl.layers.Layer {
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return Array.isArray(inputs) ? (inputs[0] as tf.Tensor) : inputs;
  }
}

class BadConfig extends tfl.layers.Layer {
  static className = 'BadConfig';
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return Array.isArray(inputs) ? (inputs[0] as tf.Tensor) : inputs;
  }
  override getConfig(): tf.serialization.ConfigDict {
    throw new Error('getConfig is not implemented');
  }
}

beforeAll(async () => {
  await ensureBackend();
  tf.serialization.registerClass(FeatureScale);
});

const withLayer = (layer: tfl.layers.Layer) =>
  tfl.sequential({ layers: [tfl.layers.dense({ units: 3, inputShape: [2] }), layer, tfl.layers.dense({ units: 1 })] });

describe('custom layers', () => {
  it('round-trips a registered custom layer, weights and config included, and lists it in the header', async () => {
    const model = withLayer(new FeatureScale({ offset: 0.25 }));
    const bytes = encodeBundle(await modelToBundle(model));
    expect(((await inspect(bytes)).header.summary as TfjsSummary).customClasses).toEqual(['FeatureScale']);
    const restored = await bundleToModel(bytes);
    expect(restored.layers[1]?.getConfig().offset).toBe(0.25);
    expect(sameModel(model, restored)).toBe(true);
    model.dispose();
    restored.dispose();
  });

  it('refuses an unregistered class with UNKNOWN_CLASS naming it and the registration call, before allocating any tensor', async () => {
    tf.serialization.registerClass(Unregistered);
    const model = withLayer(new Unregistered({}));
    const bundle = await modelToBundle(model);
    model.dispose();
    // Rename the class in the topology, as if the loading process never imported its code.
    const topology = new TextDecoder().decode(bundle.sections.get('topology.json')).replaceAll('"UnregisteredScale"', '"NeverRegistered"');
    const sections = new Map(bundle.sections);
    sections.set('topology.json', new TextEncoder().encode(topology));
    const { format: _f, sections: _s, ...draft } = bundle.header;
    const renamed = encodeBundle(await createBundle(draft as HeaderDraft, sections));
    const before = tf.memory().numTensors;
    await expectCode(bundleToModel(renamed), 'UNKNOWN_CLASS', 'tf.serialization.registerClass(NeverRegistered)');
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses to save a model whose custom class is not registered (UNKNOWN_CLASS), since no process could restore it', async () => {
    const model = withLayer(new NeverRegistered({}));
    await expectCode(modelToBundle(model), 'UNKNOWN_CLASS', 'tf.serialization.registerClass(NeverRegisteredAtSave)');
    model.dispose();
  });

  it('refuses to save a layer without a static className (SERIALIZATION_FAILED)', async () => {
    const model = withLayer(new Nameless({ name: 'nameless' }));
    await expectCode(modelToBundle(model), 'SERIALIZATION_FAILED', 'nameless');
    model.dispose();
  });

  it('refuses to save a layer whose getConfig fails (SERIALIZATION_FAILED)', async () => {
    const model = withLayer(new BadConfig({}));
    await expectCode(modelToBundle(model), 'SERIALIZATION_FAILED', 'getConfig is not implemented');
    model.dispose();
  });
});
