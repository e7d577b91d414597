// Test-only page module: runs one check per call in the browser and returns
// plain data (or the error's code and details), so results cross back to
// the test process intact.
import { createRegistry, decodeBundle, inspectUrl, isModelBundleError, type KeyInput, keyFingerprint, verifySignature } from '@modelbundle/core';
import { sha256 } from '@modelbundle/core/format';
import { toHex } from '@modelbundle/core/internal';
import { tfjsPlugin, tfjsPredictor, useBackend } from '@modelbundle/tfjs';
import type { LayersModel } from '@tensorflow/tfjs-layers';

/** How the bundle reaches `unbundle`. */
export type SourceForm = 'response' | 'blob' | 'arraybuffer';

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: { name: string; code: string | null; message: string; details: unknown } };

async function outcome<T>(run: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await run() };
  } catch (error) {
    const e = error as Error;
    return {
      ok: false,
      error: {
        name: e.name,
        code: isModelBundleError(error) ? error.code : null,
        message: e.message,
        details: isModelBundleError(error) ? error.details : null,
      },
    };
  }
}

async function source(url: string, form: SourceForm): Promise<Response | Blob | ArrayBuffer> {
  const response = await fetch(url);
  if (form === 'response') return response;
  return form === 'blob' ? response.blob() : response.arrayBuffer();
}

/** Unbundles `url` (given as `form`) into a fresh registry and predicts `rows` on `backend`. */
function predictFrom(url: string, form: SourceForm, rows: Record<string, unknown>[], backend: string, trustedKeys?: KeyInput[]) {
  return outcome(async () => {
    await useBackend(backend, { wasmPaths: new URL('/wasm/', location.href).href });
    const registry = createRegistry({ autoload: false }).registerPlugin(tfjsPlugin);
    const bundleSource = await source(url, form);
    const model = await registry.unbundle<LayersModel>(bundleSource, trustedKeys ? { trustedKeys } : {});
    const predictions = await tfjsPredictor(model).predict(rows);
    model.dispose();
    return { backend, predictions };
  });
}

/** Header-only inspection of a remote bundle. */
function inspectRemote(url: string, firstChunk?: number) {
  return outcome(async () => {
    const info = await inspectUrl(url, firstChunk === undefined ? {} : { firstChunk });
    return { ...info, header: { kind: info.header.kind, sections: info.header.sections } };
  });
}

/** Decodes (checking every digest) and checks the signature against `publicKey`; also hashes each section here. */
function verifyRemote(url: string, publicKey: KeyInput) {
  return outcome(async () => {
    const bundle = await decodeBundle(await (await fetch(url)).arrayBuffer());
    const check = await verifySignature(bundle, [publicKey]);
    const digests: Record<string, string> = {};
    for (const [name, bytes] of bundle.sections) digests[name] = toHex(await sha256(bytes));
    return { ...check, keyFingerprint: await keyFingerprint(publicKey), digests };
  });
}

export const checks = { predictFrom, inspectRemote, verifyRemote };
Object.assign(globalThis, { modelbundleChecks: checks });
