// Test-only page module: imports a Keras file the page fetched, in the browser, and predicts.
import { encodeBundle, isModelBundleError } from '@modelbundle/core';
import { kerasToBundle, registerKerasLayers } from '@modelbundle/keras';
import { bundleToModel, useBackend } from '@modelbundle/tfjs';
import * as tf from '@tensorflow/tfjs-core';

/** Fetches a .keras file, imports it as a bundle, restores the model and predicts `inputs` (flat values with shapes). */
async function kerasPredict(url: string, inputs: { shape: number[]; values: number[] }[]): Promise<unknown> {
  try {
    await useBackend('cpu');
    registerKerasLayers(); // nothing registers itself on import
    const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
    const bundle = await kerasToBundle(bytes);
    const model = await bundleToModel(encodeBundle(bundle));
    const out = model.predict(inputs.map((x) => tf.tensor(x.values, x.shape))) as tf.Tensor | tf.Tensor[];
    const outs = Array.isArray(out) ? out : [out];
    const values = outs.map((t) => Array.from(t.dataSync()));
    model.dispose();
    return { ok: true, kind: bundle.header.kind, summary: bundle.header.summary, values };
  } catch (error) {
    return { ok: false, code: isModelBundleError(error) ? error.code : null, message: String(error) };
  }
}

(globalThis as { kerasPredict?: typeof kerasPredict }).kerasPredict = kerasPredict;
