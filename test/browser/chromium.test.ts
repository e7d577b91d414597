import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createBundle, decodeBundle, encodeBundle, exportPublicKey, generateKeyPair, inspect, keyFingerprint, signBundle } from '@modelbundle/core';
import { PREFIX_BYTES } from '@modelbundle/core/format';
import { draft } from '@modelbundle/testing';
import { bundleToModel, modelToBundle, tfjsPredictor, useBackend } from '@modelbundle/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HeadlessChromium, launchChromium } from '../support/chromium.js';
import { buildPage } from './support/build-page.js';
import { docExamples } from './support/doc-example.js';
import { maxAbsDifference, shapeOf } from './support/predictions.js';
import { NO_RANGE_PREFIX, type ServedFile, type StaticServer, startStaticServer } from './support/static-server.js';

// A model fitted in Node is served with the page from docs/guides/browser.md;
// headless Chromium loads, verifies and predicts, and must agree with Node.

const GUIDE = new URL('../../docs/guides/browser.md', import.meta.url);
const TOLERANCE = 1e-6;

type Outcome = { ok: true; value: any } | { ok: false; error: { name: string; code: string | null; message: string; details: any } };

let server: StaticServer;
let chromium: HeadlessChromium;
let page: Page;
let bytes: Uint8Array;
let large: Uint8Array;
let publicKey: string;
let otherKey: string;
let weightsSection: string;
const pageErrors: string[] = [];
/** Warnings and errors the page logged (a requirement warning would show up here). */
const consoleProblems: string[] = [];

/** A small classifier (input `features`, output `species`), fitted on a fixed synthetic data set. */
async function fittedModel(): Promise<tfl.LayersModel> {
  const features = tfl.input({ shape: [4], name: 'features' });
  const hidden = tfl.layers.dense({ units: 8, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: 7 }) }).apply(features);
  const species = tfl.layers
    .dense({ units: 3, activation: 'softmax', name: 'species', kernelInitializer: tfl.initializers.glorotUniform({ seed: 8 }) })
    .apply(hidden) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: features, outputs: species });
  model.compile({ optimizer: tf.train.adam(0.05), loss: 'categoricalCrossentropy' });
  const x = Array.from({ length: 60 }, (_, i) => [0, 1, 2, 3].map((j) => Math.sin(i * 1.7 + j * 0.9) * 3 + (i % 3)));
  const y = x.map((_, i) => [0, 1, 2].map((c) => (i % 3 === c ? 1 : 0)));
  await model.fit(tf.tensor2d(x), tf.tensor2d(y), { epochs: 5, batchSize: 20, verbose: 0, shuffle: false });
  return model;
}

/** Node's predictions for `rows` from the same bundle bytes, on `backend`. */
async function nodePredictions(rows: Record<string, unknown>[], backend: string): Promise<unknown> {
  await useBackend(backend);
  const model = await bundleToModel(bytes);
  try {
    return await tfjsPredictor(model).predict(rows);
  } finally {
    model.dispose();
  }
}

function flipByte(source: Uint8Array, at: number): Uint8Array {
  const copy = source.slice();
  copy[at] = (copy[at] as number) ^ 0x10;
  return copy;
}

async function wasmFiles(): Promise<Record<string, ServedFile>> {
  const require = createRequire(new URL('../../packages/tfjs/package.json', import.meta.url));
  const dir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  const files: Record<string, ServedFile> = {};
  for (const name of (await readdir(dir)).filter((n) => n.endsWith('.wasm'))) {
    files[`/wasm/${name}`] = { body: await readFile(join(dir, name)), type: 'application/wasm' };
  }
  return files;
}

/** Opens the guide's page (optionally on another bundle) and returns what it shows. */
async function openGuidePage(query = ''): Promise<any> {
  await page.goto(`${server.origin}/${query}`);
  await page.waitForSelector('#result[data-done]', { timeout: 60_000 });
  return JSON.parse((await page.textContent('#result')) ?? 'null');
}

/** Runs one function of test/browser/page/checks.ts in the page. */
async function check(name: 'predictFrom' | 'inspectRemote' | 'verifyRemote', ...args: unknown[]): Promise<Outcome> {
  if (!(await page.evaluate(() => 'modelbundleChecks' in globalThis))) {
    await page.addScriptTag({ url: `${server.origin}/checks.js`, type: 'module' });
    await page.waitForFunction(() => 'modelbundleChecks' in globalThis);
  }
  return page.evaluate(([fn, rest]) => (globalThis as any).modelbundleChecks[fn](...rest), [name, args] as const);
}

beforeAll(async () => {
  await useBackend('cpu');
  const model = await fittedModel();
  bytes = encodeBundle(await modelToBundle(model, { created: '2026-01-01T00:00:00.000Z', metadata: { name: 'browser-demo' } }));
  model.dispose();
  const bundle = await decodeBundle(bytes);
  const [weights] = bundle.header.sections;
  if (!weights) throw new Error('the model bundle has no sections');
  weightsSection = weights.name;
  const dataStart = Math.ceil((PREFIX_BYTES + bundle.headerBytes.length) / 64) * 64;
  const tampered = flipByte(bytes, dataStart + weights.offset + Math.floor(weights.length / 2));

  const keys = await generateKeyPair();
  publicKey = await exportPublicKey(keys.publicKey);
  otherKey = await exportPublicKey((await generateKeyPair()).publicKey);
  const signed = encodeBundle(await signBundle(bundle, keys.privateKey));
  large = encodeBundle(await createBundle(draft({ metadata: { name: 'large' } }), [['data', new Uint8Array(24 * 1024 * 1024)]]));

  const examples = await docExamples(GUIDE);
  const html = examples.get('index.html');
  const app = examples.get('app.ts');
  if (!html || !app) throw new Error(`${GUIDE.pathname} lost its example blocks (index.html, app.ts)`);
  // page/app.ts is the guide's block as a file, so the type check covers it; they must not drift apart.
  expect(app).toBe(await readFile(new URL('./page/app.ts', import.meta.url), 'utf8'));
  const built = await buildPage([
    { name: 'app', source: app },
    { name: 'checks', source: await readFile(new URL('./page/checks.ts', import.meta.url), 'utf8') },
  ]);
  server = await startStaticServer({
    '/index.html': { body: new TextEncoder().encode(html), type: 'text/html; charset=utf-8' },
    ...built.files,
    ...(await wasmFiles()),
    '/favicon.ico': { body: new Uint8Array(0), type: 'image/x-icon' }, // browsers ask for it; a 404 would be logged
    '/model.mbnd': { body: bytes },
    '/tampered.mbnd': { body: tampered },
    '/signed.mbnd': { body: signed },
    '/large.mbnd': { body: large },
  });
  chromium = await launchChromium();
  page = await chromium.context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'warning' || message.type() === 'error') consoleProblems.push(message.text());
  });
});

afterAll(async () => {
  await chromium?.close();
  await server?.close();
});

describe('the guide page in headless Chromium', () => {
  it('fetches, verifies, unbundles and predicts like Node on the wasm backend', async () => {
    const shown = await openGuidePage();
    expect(pageErrors).toEqual([]);
    expect(server.requests.filter((r) => r.status === 404).map((r) => r.path)).toEqual([]);
    expect(consoleProblems).toEqual([]);
    expect(shown).toMatchObject({ kind: 'tfjs.functional', fileLength: bytes.byteLength });
    const expected = await nodePredictions(shown.rows, 'wasm');
    expect(shapeOf(shown.predictions)).toEqual(shapeOf(expected));
    expect(maxAbsDifference(shown.predictions, expected)).toBeLessThanOrEqual(TOLERANCE);
    const modelRequests = server.requests.filter((r) => r.path === '/model.mbnd');
    expect(modelRequests.map((r) => [r.range, r.status])).toEqual([
      ['bytes=0-65535', 206],
      [undefined, 200],
    ]);
  });

  it('refuses a bundle with one flipped byte with the typed error', async () => {
    expect(await openGuidePage('?bundle=tampered.mbnd')).toEqual({ error: 'CORRUPT' });
  });
});

describe('unbundle in the browser', () => {
  const rows = [{ features: [0.5, -1.2, 2.0, 0.1] }, { features: [3.0, 2.5, -0.5, 1.5] }, { features: [-2.0, 0.0, 1.0, 4.0] }];

  it.each(['response', 'blob', 'arraybuffer'])('from a %s predicts like Node on the cpu backend', async (form) => {
    const result = await check('predictFrom', '/model.mbnd', form, rows, 'cpu');
    expect(result).toMatchObject({ ok: true, value: { backend: 'cpu' } });
    const expected = await nodePredictions(rows, 'cpu');
    const shown = result.ok ? result.value.predictions : undefined;
    expect(shapeOf(shown)).toEqual(shapeOf(expected));
    expect(maxAbsDifference(shown, expected)).toBeLessThanOrEqual(TOLERANCE);
  });

  it.each(['response', 'blob', 'arraybuffer'])('from a tampered %s fails with CORRUPT naming the damaged section', async (form) => {
    const result = await check('predictFrom', '/tampered.mbnd', form, rows, 'cpu');
    expect(result).toMatchObject({ ok: false, error: { name: 'ModelBundleError', code: 'CORRUPT', details: { region: `section:${weightsSection}` } } });
  });

  it('reports an HTTP error as IO_ERROR', async () => {
    const result = await check('predictFrom', '/missing.mbnd', 'response', rows, 'cpu');
    expect(result).toMatchObject({ ok: false, error: { code: 'IO_ERROR' } });
  });
});

describe('digests and signatures with WebCrypto in the browser', () => {
  it('verifies an Ed25519 signature and recomputes every section digest', async () => {
    const result = await check('verifyRemote', '/signed.mbnd', publicKey);
    const header = (await inspect(bytes)).header;
    expect(result).toEqual({
      ok: true,
      value: {
        keyIndex: 0,
        fingerprint: await keyFingerprint(publicKey),
        keyFingerprint: await keyFingerprint(publicKey),
        digests: Object.fromEntries(header.sections.map((s) => [s.name, s.sha256])),
      },
    });
  });

  it('unbundles a signed bundle only with the trusted key', async () => {
    const rows = [{ features: [1, 2, 3, 4] }];
    const trusted = await check('predictFrom', '/signed.mbnd', 'response', rows, 'cpu', [publicKey]);
    expect(trusted.ok).toBe(true);
    const untrusted = await check('predictFrom', '/signed.mbnd', 'response', rows, 'cpu', [otherKey]);
    expect(untrusted).toMatchObject({ ok: false, error: { code: 'SIGNATURE_INVALID', details: { reason: 'untrusted' } } });
    const unsigned = await check('predictFrom', '/model.mbnd', 'blob', rows, 'cpu', [publicKey]);
    expect(unsigned).toMatchObject({ ok: false, error: { code: 'SIGNATURE_INVALID', details: { reason: 'unsigned' } } });
  });
});

describe('inspectUrl in the browser', () => {
  it('reads the header of a 24 MiB bundle with one Range request', async () => {
    const before = server.requests.length;
    const result = await check('inspectRemote', '/large.mbnd');
    expect(result).toMatchObject({ ok: true, value: { rangeSupported: true, requests: 1, fileLength: large.byteLength, header: { kind: 'test.model' } } });
    expect(result.ok && result.value.bytesRead).toBeLessThanOrEqual(64 * 1024);
    expect(server.requests.slice(before).map((r) => [r.path, r.range, r.status])).toEqual([['/large.mbnd', 'bytes=0-65535', 206]]);
  });

  it('asks for the prefix, then exactly the header, with a 128-byte first chunk', async () => {
    const result = await check('inspectRemote', '/model.mbnd', 128);
    const info = await inspect(bytes);
    expect(result).toMatchObject({ ok: true, value: { requests: 2, bytesRead: PREFIX_BYTES + info.headerLength, headerDigest: info.headerDigest } });
  });

  it('cancels the download when the server ignores Range', async () => {
    const before = server.requests.length;
    const result = await check('inspectRemote', `${NO_RANGE_PREFIX}/large.mbnd`);
    expect(result).toMatchObject({ ok: true, value: { rangeSupported: false, requests: 1, fileLength: large.byteLength } });
    expect(result.ok && result.value.bytesRead).toBeLessThan(4 * 1024 * 1024);
    await server.settled();
    const [request] = server.requests.slice(before);
    expect(request).toMatchObject({ status: 200, aborted: true });
    expect(request?.sent).toBeLessThan(large.byteLength);
  });
});
