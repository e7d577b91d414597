import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeBundle, inspect } from '@modelbundle/core';
import { readBundle } from '@modelbundle/core/node';
import { bundleIOHandler, bundleToModel, ensureBackend, modelToBundle } from '@modelbundle/tfjs';
import { bundleFile, exportTfjs, registerBundleScheme } from '@modelbundle/tfjs/node';
import type * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { multiModel, nestedModel, sameModel } from './models.js';
import { serveDirectory } from './static-server.js';

let dir: string;
let base: string;
let close: () => Promise<void>;

beforeAll(async () => {
  await ensureBackend();
  dir = await mkdtemp(join(tmpdir(), 'mbnd-tfjs-io-'));
  ({ url: base, close } = await serveDirectory(dir));
});

afterAll(async () => {
  await close();
  await rm(dir, { recursive: true, force: true });
});

describe('IOHandler', () => {
  it('model.save(handler) writes a bundle and tf.loadLayersModel(handler) reads it back', async () => {
    const model = multiModel();
    let saved: Uint8Array | undefined;
    const result = await model.save(
      bundleIOHandler({
        onSave: (bytes) => {
          saved = bytes;
        },
        metadata: { via: 'io' },
      }),
    );
    expect(result.modelArtifactsInfo.modelTopologyType).toBe('JSON');
    const { header } = await inspect(saved as Uint8Array);
    expect(header.kind).toBe('tfjs.functional');
    expect(header.metadata).toEqual({ via: 'io' });
    const loaded = await tfl.loadLayersModel(bundleIOHandler({ source: saved as Uint8Array }));
    expect(sameModel(model, loaded)).toBe(true);
    // Bundles written by modelToBytes load through the handler too, and the other way round.
    const viaBytes = await tfl.loadLayersModel(bundleIOHandler({ source: encodeBundle(await modelToBundle(model)) }));
    const fromHandlerBytes = await bundleToModel(saved as Uint8Array);
    expect(sameModel(model, viaBytes) && sameModel(model, fromHandlerBytes)).toBe(true);
    for (const m of [model, loaded, viaBytes, fromHandlerBytes]) m.dispose();
  });

  it('works with bundle files, directly and through the mbnd:// scheme', async () => {
    const model = nestedModel();
    const path = join(dir, 'nested.mbnd');
    await model.save(bundleFile(path, { created: '2024-05-06T07:08:09.000Z' }));
    expect((await readBundle(path)).header.created).toBe('2024-05-06T07:08:09.000Z');
    const loaded = await tfl.loadLayersModel(bundleFile(path));
    expect(sameModel(model, loaded)).toBe(true);

    registerBundleScheme();
    registerBundleScheme(); // idempotent
    const schemePath = join(dir, 'scheme.mbnd');
    await model.save(`mbnd://${schemePath}`, { includeOptimizer: false });
    const viaScheme = await tfl.loadLayersModel(`mbnd://${schemePath}`);
    expect(sameModel(model, viaScheme)).toBe(true);
    for (const m of [model, loaded, viaScheme]) m.dispose();
  });

  it('load() of a missing file fails with IO_ERROR', async () => {
    await expect(tfl.loadLayersModel(bundleFile(join(dir, 'missing.mbnd')))).rejects.toMatchObject({ code: 'IO_ERROR' });
  });
});

describe('exportTfjs', () => {
  it('writes model.json + sharded weights that plain tf.loadLayersModel reads over HTTP', async () => {
    const model = multiModel();
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const bundle = await modelToBundle(model, { includeOptimizer: true });
    const out = join(dir, 'exported');
    const jsonPath = await exportTfjs(bundle, out, { shardBytes: 100 });
    const json = JSON.parse(await readFile(jsonPath, 'utf8')) as tf.io.ModelJSON;
    const paths = json.weightsManifest[0]?.paths ?? [];
    expect(paths.length).toBeGreaterThan(1);
    expect(paths[0]).toBe(`group1-shard1of${paths.length}.bin`);
    const loaded = await tfl.loadLayersModel(`${base}/exported/model.json`);
    expect(sameModel(model, loaded)).toBe(true);
    expect(loaded.optimizer).toBeDefined();
    model.dispose();
    loaded.dispose();
  });

  it('exports from a bundle file path as well', async () => {
    const model = nestedModel();
    const path = join(dir, 'to-export.mbnd');
    await model.save(bundleFile(path));
    await exportTfjs(path, join(dir, 'exported2'));
    const loaded = await tfl.loadLayersModel(`${base}/exported2/model.json`);
    expect(sameModel(model, loaded)).toBe(true);
    model.dispose();
    loaded.dispose();
  });
});
