import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBundle, createRegistry, draftHeader, encodeBundle, generateKeyPair, type KeyInput, signBundle } from '@modelbundle/core';
import { expectCode } from '@modelbundle/testing';
import { bundleIOHandler, bundleToArtifacts, bundleToModel, ensureBackend, modelToBundle, tfjsPlugin } from '@modelbundle/tfjs';
import { bundleFile, registerBundleScheme } from '@modelbundle/tfjs/node';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { denseModel } from './models.js';

let dir: string;
let publisher: KeyInput;
let stranger: KeyInput;
let signed: Uint8Array;
let unsigned: Uint8Array;
let model: tfl.LayersModel;

beforeAll(async () => {
  await ensureBackend();
  dir = await mkdtemp(join(tmpdir(), 'mbnd-tfjs-trust-'));
  model = denseModel();
  const keys = await generateKeyPair();
  publisher = keys.publicKey;
  stranger = (await generateKeyPair()).publicKey;
  const bundle = await modelToBundle(model);
  unsigned = encodeBundle(bundle);
  signed = encodeBundle(await signBundle(bundle, keys.privateKey));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** The rejection's code and reason, or 'resolved'. */
async function outcome(promise: Promise<unknown>): Promise<string> {
  try {
    const value = await promise;
    (value as { dispose?: () => void })?.dispose?.();
    return 'resolved';
  } catch (error) {
    const e = error as { code?: string; details?: { reason?: string } };
    return [e.code, e.details?.reason].filter(Boolean).join(':');
  }
}

describe('trustedKeys on every tfjs loader', () => {
  it('bundleToModel and bundleToArtifacts accept the publisher, refuse an unsigned bundle and a stranger', async () => {
    expect(await outcome(bundleToModel(signed, { trustedKeys: [publisher] }))).toBe('resolved');
    expect(await outcome(bundleToModel(unsigned, { trustedKeys: [publisher] }))).toBe('SIGNATURE_INVALID:unsigned');
    expect(await outcome(bundleToModel(signed, { trustedKeys: [stranger] }))).toBe('SIGNATURE_INVALID:untrusted');
    expect(await outcome(bundleToArtifacts(unsigned, { trustedKeys: [publisher] }))).toBe('SIGNATURE_INVALID:unsigned');
    expect(await outcome(bundleToModel(signed, { trustedKeys: [publisher], skipVerify: true }))).toBe('INVALID_ARGUMENT');
  });

  it('the IOHandler and bundleFile check the signature before tfjs builds the model', async () => {
    expect(await outcome(tfl.loadLayersModel(bundleIOHandler({ source: signed, trustedKeys: [publisher] })))).toBe('resolved');
    expect(await outcome(tfl.loadLayersModel(bundleIOHandler({ source: unsigned, trustedKeys: [publisher] })))).toBe('SIGNATURE_INVALID:unsigned');
    const path = join(dir, 'model.mbnd');
    await writeFile(path, signed);
    expect(await outcome(tfl.loadLayersModel(bundleFile(path, { trustedKeys: [publisher] })))).toBe('resolved');
    expect(await outcome(tfl.loadLayersModel(bundleFile(path, { trustedKeys: [stranger] })))).toBe('SIGNATURE_INVALID:untrusted');
  });

  it('mbnd:// URLs take the trust options of their scheme', async () => {
    registerBundleScheme('trusted-mbnd://', { trustedKeys: [publisher] });
    const good = join(dir, 'good.mbnd');
    const bad = join(dir, 'bad.mbnd');
    await writeFile(good, signed);
    await writeFile(bad, unsigned);
    expect(await outcome(tfl.loadLayersModel(`trusted-mbnd://${good}`))).toBe('resolved');
    expect(await outcome(tfl.loadLayersModel(`trusted-mbnd://${bad}`))).toBe('SIGNATURE_INVALID:unsigned');
  });

  it('bundleToModel refuses a bundle of another kind, naming it', async () => {
    const serializer = { kind: 'test.other', version: '1.0.0', reads: '^1.0.0', canBundle: () => true, bundle: () => ({}), unbundle: () => null };
    const other = encodeBundle(await createBundle(draftHeader(serializer, {})));
    await expectCode(bundleToModel(other), 'UNKNOWN_KIND', '"test.other"');
  });
});

describe('per-call serializer options', () => {
  it('includeOptimizer is chosen per bundle call, on one registry', async () => {
    const trained = denseModel();
    trained.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    const registry = createRegistry({ autoload: false }).registerPlugin(tfjsPlugin);
    const withState = await registry.bundle(trained, { options: { includeOptimizer: true } });
    const without = await registry.bundle(trained);
    expect(withState.header.summary.optimizer).toBe(true);
    expect(without.header.summary.optimizer).toBe(false);
    expect((await modelToBundle(trained, { includeOptimizer: true })).header.summary.optimizer).toBe(true);
  });
});
