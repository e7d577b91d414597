import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeBundle } from '@modelbundle/core';
import { kerasToBundle, registerKerasLayers } from '@modelbundle/keras';
import { bundleToModel, useBackend } from '@modelbundle/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HeadlessChromium, launchChromium } from '../support/chromium.js';
import { buildPage } from './support/build-page.js';
import { type StaticServer, startStaticServer } from './support/static-server.js';

// kerasToBundle runs in headless Chromium on .keras files the page fetches; its predictions must equal Node's.

const FIXTURES = new URL('../fixtures/keras/', import.meta.url).pathname;
const FILES = ['mlp.keras', 'rnn.keras', 'functional.keras', 'cnn.keras'];
/** Inputs per file: flat values with their shapes (batch of 2). */
const INPUTS: Record<string, { shape: number[] }[]> = {
  'mlp.keras': [{ shape: [2, 4] }],
  'rnn.keras': [{ shape: [2, 6, 3] }],
  'functional.keras': [{ shape: [2, 3] }, { shape: [2, 4] }],
  'cnn.keras': [{ shape: [2, 8, 8, 3] }],
};

let server: StaticServer;
let chromium: HeadlessChromium;
let page: Page;

function inputsFor(file: string): { shape: number[]; values: number[] }[] {
  return (INPUTS[file] ?? []).map(({ shape }, k) => ({
    shape,
    values: Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin((i + 1) * 0.37 + k) * 1.5),
  }));
}

async function nodePredict(file: string): Promise<number[][]> {
  await useBackend('cpu');
  registerKerasLayers();
  const model = await bundleToModel(encodeBundle(await kerasToBundle(await readFile(join(FIXTURES, file)))));
  const out = model.predict(inputsFor(file).map((x) => tf.tensor(x.values, x.shape))) as tf.Tensor | tf.Tensor[];
  const values = (Array.isArray(out) ? out : [out]).map((t) => Array.from(t.dataSync()));
  model.dispose();
  return values;
}

beforeAll(async () => {
  const built = await buildPage([{ name: 'keras', source: await readFile(new URL('./page/keras.ts', import.meta.url), 'utf8') }]);
  const files: Record<string, { body: Uint8Array; type?: string }> = {
    '/index.html': { body: new TextEncoder().encode('<!doctype html><script type="module" src="/keras.js"></script>'), type: 'text/html; charset=utf-8' },
    '/favicon.ico': { body: new Uint8Array(0), type: 'image/x-icon' },
    ...built.files,
  };
  for (const file of FILES) files[`/${file}`] = { body: new Uint8Array(await readFile(join(FIXTURES, file))) };
  server = await startStaticServer(files);
  chromium = await launchChromium();
  page = await chromium.context.newPage();
  await page.goto(`${server.origin}/index.html`);
  await page.waitForFunction(() => 'kerasPredict' in globalThis);
}, 120_000);

afterAll(async () => {
  await chromium?.close();
  await server?.close();
});

describe('kerasToBundle in headless Chromium', () => {
  it.each(FILES)('imports %s fetched by the page and predicts like Node', async (file) => {
    const shown = (await page.evaluate(([url, inputs]) => (globalThis as any).kerasPredict(url, inputs), [`/${file}`, inputsFor(file)] as const)) as {
      ok: boolean;
      values: number[][];
      summary: { keras: unknown };
    };
    expect(shown).toMatchObject({ ok: true, summary: { keras: { format: 'keras', kerasVersion: '3.5.0' } } });
    const expected = await nodePredict(file);
    expect(shown.values.length).toBe(expected.length);
    for (const [o, values] of shown.values.entries()) {
      for (const [i, v] of values.entries()) expect(Math.abs(v - (expected[o]?.[i] as number))).toBeLessThanOrEqual(1e-6);
    }
  });
});
