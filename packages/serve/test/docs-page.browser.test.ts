import { createRegistry } from '@modelbundle/core';
import { type RunningServer, serve } from '@modelbundle/serve';
import { ensureBackend, tfjsPlugin, tfjsPredictor } from '@modelbundle/tfjs';
import { predict, workflowsPlugin } from '@modelbundle/workflows';
import { fitDemo, loadPenguins } from '@modelbundle/workflows/demo';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HeadlessChromium, launchBrowser, launchChromium } from '../../../test/support/chromium.js';
import { linearBundleFile, linearRegistry } from './helpers.js';
import { tfjsRegistry, twoInputModel } from './tfjs-models.js';

let server: RunningServer;
let browser: HeadlessChromium;

beforeAll(async () => {
  server = await serve({ path: await linearBundleFile(), registry: linearRegistry(), port: 0, logLevel: 'silent', signals: false });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('the docs page in headless Chromium', () => {
  it('renders the columns from the schema and sends a request that returns predictions', async () => {
    const page = await browser.context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
    await page.goto(`${server.url}/docs`);
    await page.waitForSelector('body[data-ready="true"]');
    expect(await page.locator('#columns td').allTextContents()).toEqual(['x1', 'number', '', 'x2', 'number', '', 'group', 'string', 'a, b']);

    await page.fill('#col-x1', '3');
    await page.fill('#col-x2', '1');
    await page.selectOption('#col-group', 'b');
    await page.click('#send');
    await page.waitForFunction(() => document.getElementById('status')?.textContent?.startsWith('HTTP'));
    expect(await page.textContent('#status')).toBe('HTTP 200');
    expect(JSON.parse((await page.textContent('#response')) ?? '')).toEqual({ predictions: [{ '.pred': 15.5 }] });

    await page.selectOption('#type', 'prob');
    await page.click('#send');
    await page.waitForFunction(() => document.getElementById('response')?.textContent?.includes('.pred_yes'));
    const prob = JSON.parse((await page.textContent('#response')) ?? '');
    expect(prob.predictions[0]['.pred_yes']).toBeCloseTo(1 / (1 + Math.exp(-15.5)), 12);
    expect(await page.textContent('#curl')).toContain(`curl -s -X POST '${server.url}/predict?type=prob'`);
    expect(problems).toEqual([]);
  });

  it('shows the server’s 400 message when a row is wrong (in a plain launched browser too)', async () => {
    const plain = await launchBrowser();
    try {
      const page = await plain.newPage();
      await page.goto(`${server.url}/`);
      await page.waitForSelector('body[data-ready="true"]');
      await page.fill('#body', '[{"x1": 1, "group": "a"}]');
      await page.click('#send');
      await page.waitForFunction(() => document.getElementById('status')?.textContent?.startsWith('HTTP'));
      expect(await page.textContent('#status')).toContain('HTTP 400');
      expect(await page.textContent('#response')).toContain('row 0, column \\"x2\\" is missing');
    } finally {
      await plain.close();
    }
  });
});

describe('the docs page form for every ptype', () => {
  const send = async (target: RunningServer, fill: (page: import('playwright-core').Page) => Promise<void>) => {
    const page = await browser.context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    await page.goto(`${target.url}/`);
    await page.waitForSelector('body[data-ready="true"]');
    await fill(page);
    await page.click('#send');
    await page.waitForFunction(() => document.getElementById('status')?.textContent?.startsWith('HTTP'));
    const status = await page.textContent('#status');
    const response = JSON.parse((await page.textContent('#response')) ?? '');
    const body = JSON.parse(await page.inputValue('#body'));
    await page.close();
    expect(problems).toEqual([]);
    return { status, response, body };
  };

  it('fills and sends the form for the demo workflow, a missing value included', async () => {
    const registry = createRegistry({ autoload: false }).registerPlugin(tfjsPlugin).registerPlugin(workflowsPlugin);
    const workflow = await fitDemo({ epochs: 1 });
    const { Species: _, ...example } = (await loadPenguins())[0]!;
    const target = await serve({ bundle: await registry.bundle(workflow, { metadata: { example } }), registry, port: 0, logLevel: 'silent', signals: false });
    try {
      const { status, response, body } = await send(target, async (page) => {
        await page.selectOption('#col-Island', 'Dream');
        await page.fill('[id="col-Body Mass (g)"]', '');
        await page.selectOption('#type', 'prob');
      });
      expect(status).toBe('HTTP 200');
      expect(body).toEqual([{ ...example, Island: 'Dream', 'Body Mass (g)': null }]);
      expect(response.predictions).toEqual(await predict(workflow, body, { type: 'prob' }));
    } finally {
      await target.close();
    }
  });

  it('fills and sends the form for a two-input tfjs model, lists as JSON', async () => {
    await ensureBackend();
    const model = twoInputModel();
    const target = await serve({ bundle: await tfjsRegistry().bundle(model), registry: tfjsRegistry(), port: 0, logLevel: 'silent', signals: false });
    try {
      const { status, response, body } = await send(target, async (page) => {
        await page.fill('#col-a', '[1, 2, 3]');
        await page.fill('#col-b', '[[0.5, -1], [2, 0]]');
      });
      expect(status).toBe('HTTP 200');
      expect(body).toEqual([
        {
          a: [1, 2, 3],
          b: [
            [0.5, -1],
            [2, 0],
          ],
        },
      ]);
      expect(response.predictions).toEqual(await tfjsPredictor(model).predict(body));
    } finally {
      await target.close();
    }
  });
});
