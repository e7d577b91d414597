import { execFile } from 'node:child_process';
import { mkdtemp, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HeadlessChromium, launchChromium } from '../../../test/support/chromium.js';
import { type RunningCli, startProcess } from './helpers.js';

const START = new URL('../dist/start.js', import.meta.url).pathname;
const exec = promisify(execFile);

let demoDir: string;
let browser: HeadlessChromium | undefined;
const running: RunningCli[] = [];

beforeAll(async () => {
  demoDir = await mkdtemp(join(tmpdir(), 'modelbundle-start-'));
});
afterAll(async () => {
  await browser?.close();
  for (const proc of running) if (proc.child.exitCode === null) proc.child.kill('SIGKILL');
});

function start(): RunningCli {
  const proc = startProcess(START, [], { env: { MODELBUNDLE_DEMO_DIR: demoDir, PORT: '0' } });
  running.push(proc);
  return proc;
}

describe('pnpm start (packages/cli/dist/start.js)', () => {
  it('fits the demo once, serves it, and its printed curl example and docs page predict', async () => {
    const first = start();
    const [, url] = await first.waitFor(/Serving the penguin-species model at (http:\S+)[\s\S]*Stop with Ctrl\+C/, 120_000);
    expect(first.stdout()).toContain('Fitting the demo workflow');
    expect(first.stdout()).toContain(`Docs (try it in a browser):  ${url}/`);

    // The printed command, run as a user would paste it.
    const [curl] = first.stdout().match(/^ {2}curl .*$/m) ?? [''];
    const { stdout } = await exec('sh', ['-c', curl]);
    const [prediction] = JSON.parse(stdout).predictions;
    expect(Object.keys(prediction)).toEqual(['.pred_Adelie', '.pred_Chinstrap', '.pred_Gentoo']);
    expect(prediction['.pred_Adelie']).toBeGreaterThan(0.5); // the example is the first complete penguin, an Adelie
    const sum = Object.values(prediction as Record<string, number>).reduce((a, b) => a + b, 0);
    expect(sum).toBeCloseTo(1, 5);

    browser = await launchChromium();
    const page = await browser.context.newPage();
    await page.goto(`${url}/`);
    await page.waitForSelector('body[data-ready="true"]');
    // The form starts from the real penguin stored in the bundle's metadata.example.
    expect(await page.inputValue('#col-Island')).toBe('Torgersen');
    expect(await page.inputValue('#col-Flipper\\ Length\\ \\(mm\\)')).toBe('181');
    await page.selectOption('#col-Island', 'Biscoe');
    await page.fill('#col-Flipper\\ Length\\ \\(mm\\)', '230');
    await page.fill('#col-Body\\ Mass\\ \\(g\\)', '5500');
    await page.selectOption('#type', 'class');
    await page.click('#send');
    await page.waitForFunction(() => document.getElementById('status')?.textContent?.startsWith('HTTP'));
    expect(await page.textContent('#status')).toBe('HTTP 200');
    const answer = JSON.parse((await page.textContent('#response')) ?? '');
    expect(answer.predictions).toHaveLength(1);
    expect(['Adelie', 'Chinstrap', 'Gentoo']).toContain(Object.values(answer.predictions[0])[0]);

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
  }, 180_000);

  it('reuses the saved bundle on the next run', async () => {
    const bundle = join(demoDir, 'penguins.mbnd');
    const before = await stat(bundle);
    const second = start();
    const [, url] = await second.waitFor(/Serving the penguin-species model at (http:\S+)/);
    expect(second.stdout()).toContain('Reusing the demo model fitted earlier');
    expect(second.stdout()).not.toContain('Fitting');
    expect((await stat(bundle)).mtimeMs).toBe(before.mtimeMs);
    expect((await fetch(`${url}/ping`)).status).toBe(200);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }, 120_000);
});
