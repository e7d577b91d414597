import { defaultRegistry, inspectUrl, isModelBundleError, registerPlugin, unbundle } from '@modelbundle/core';
import { tfjsPlugin, useBackend } from '@modelbundle/tfjs';

const result = document.querySelector('#result') as HTMLElement;
// The bundle to load: model.mbnd next to the page, or ?bundle=<url>.
const url = new URL(new URLSearchParams(location.search).get('bundle') ?? 'model.mbnd', location.href);
// One object per row, keyed by input name; predictions come back keyed by output name.
const rows = [{ features: [5.1, 3.5, 1.4, 0.2] }, { features: [6.7, 3.0, 5.2, 2.3] }];

try {
  registerPlugin(tfjsPlugin); // nothing registers itself on import
  // The wasm backend loads its .wasm files from wasm/ next to the page.
  await useBackend('wasm', { wasmPaths: new URL('wasm/', location.href).href });
  // The prefix and header only, through an HTTP Range request, whatever the file size.
  const info = await inspectUrl(url);
  // The whole file: every section's SHA-256 is checked before the model is built.
  const model = await unbundle(await fetch(url));
  const predictions = await defaultRegistry.predictor(info.header.kind, model).predict(rows);
  result.textContent = JSON.stringify({ kind: info.header.kind, fileLength: info.fileLength, rows, predictions });
} catch (error) {
  // A damaged, truncated, foreign or unsigned file fails with a typed error.
  result.textContent = JSON.stringify({ error: isModelBundleError(error) ? error.code : String(error) });
}
result.dataset.done = 'true';
