import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { transform } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docExamples } from '../../../test/browser/support/doc-example.js';
import { type RunningCli, startProcess } from './helpers.js';

// The code blocks of docs/guides/serving.md run here as a reader would run them, so the guide cannot drift.
const GUIDE = new URL('../../../docs/guides/serving.md', import.meta.url);

let dir: string;
const running: RunningCli[] = [];

/** Writes a guide example as plain JavaScript and starts it in a new node process, in `dir`. */
async function startExample(name: string, code: string, env: Record<string, string> = {}): Promise<RunningCli> {
  const { code: js } = await transform(code, { loader: 'ts', format: 'esm', target: 'node20' });
  const file = join(dir, `${name}.mjs`);
  await writeFile(file, js);
  const proc = startProcess(file, [], { cwd: dir, env });
  running.push(proc);
  return proc;
}

beforeAll(async () => {
  // Inside this package, so the example's imports resolve from its node_modules as they would in a reader's project.
  const cache = new URL('./.cache/', import.meta.url).pathname;
  await mkdir(cache, { recursive: true });
  dir = await mkdtemp(join(cache, 'serving-guide-'));
});
afterAll(async () => {
  for (const proc of running) if (proc.child.exitCode === null) proc.child.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

describe('docs/guides/serving.md', () => {
  it('bundles with an example row, serves from code, answers, and stops on SIGTERM', async () => {
    const examples = await docExamples(GUIDE);
    expect([...examples.keys()].sort()).toEqual(['bundle', 'formats', 'serve']);

    const bundling = await startExample('bundle', examples.get('bundle') as string);
    expect(await bundling.exited, bundling.stderr()).toBe(0);
    expect(bundling.stdout()).toContain('wrote penguins.mbnd');

    const server = await startExample('serve', examples.get('serve') as string, { PORT: '0' });
    const [, url] = await server.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/, 90_000);
    const prototype = await (await fetch(`${url}/prototype`)).json();
    expect(prototype.example).toEqual({
      Island: 'Torgersen',
      'Beak Length (mm)': 39.1,
      'Beak Depth (mm)': 18.7,
      'Flipper Length (mm)': 181,
      'Body Mass (g)': 3750,
      Sex: 'MALE',
    });
    const answer = await fetch(`${url}/predict?type=prob`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([prototype.example]),
    });
    expect(answer.status).toBe(200);
    const [probabilities] = (await answer.json()).predictions;
    expect(Object.keys(probabilities).sort()).toEqual(['.pred_Adelie', '.pred_Chinstrap', '.pred_Gentoo']);
    const total = Object.values(probabilities as Record<string, number>).reduce((a, b) => a + b, 0);
    expect(total).toBeCloseTo(1, 5);
    expect(server.stdout()).toContain('"msg":"request completed"'); // logLevel 'info': a line per request

    const formats = await startExample('formats', examples.get('formats') as string, { URL: url as string });
    expect(await formats.exited, formats.stderr()).toBe(0);
    const answers = formats.stdout().trim().split('\n');
    expect(answers).toHaveLength(6);
    expect(new Set(answers).size).toBe(1);
    expect(answers[0]).toMatch(/^200 \{"predictions":\[\{"\.pred_Adelie":/);

    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(server.stdout()).toContain('shutting down');
  }, 240_000);
});
