import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRegistry } from '@modelbundle/core';
import { writeBundle } from '@modelbundle/core/node';
import { type LinearModel, linearPlugin } from 'modelbundle-plugin-linear';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fittedClassifier } from './data.js';

const here = dirname(fileURLToPath(import.meta.url));
/** The application's folder: where modelbundle-plugin-linear is installed (a devDependency of the workspace root). */
const appDir = resolve(here, '../../..');
const cli = join(appDir, 'packages/cli/dist/bin.js');
const rows = [
  { a: 2, b: 1 },
  { a: -1, b: -1.5 },
];

describe('consumers that know nothing of this plugin', () => {
  let dir = '';
  let file = '';
  let model: LinearModel;
  let expected: Record<string, unknown>[];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mbnd-linear-'));
    file = join(dir, 'classifier.mbnd');
    model = fittedClassifier();
    const registry = createRegistry({ autoload: false }).registerPlugin(linearPlugin);
    await writeBundle(file, await registry.bundle(model, { metadata: { owner: 'example' } }));
    expected = await registry.predictor('linear.model', model).predict(rows, { type: 'prob' });
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a fresh process autoloads the plugin from its package.json declaration', () => {
    const out = execFileSync(process.execPath, [join(here, 'fresh-process.mjs'), file, JSON.stringify(rows)], { cwd: appDir, encoding: 'utf8' });
    const result = JSON.parse(out) as { before: string[]; after: string[]; className: string; predictions: Record<string, unknown>[] };
    expect(result.before).toEqual([]);
    expect(result.after).toEqual(['linear.model']);
    expect(result.className).toBe('LinearModel');
    expect(result.predictions).toEqual(model.predictClass(rows.map((r) => [r.a, r.b])).map((label) => ({ '.pred_class': label })));
  });

  it('`modelbundle serve` serves it over HTTP, unchanged', async () => {
    const server = spawn(process.execPath, [cli, 'serve', file, '--port', '0'], { cwd: appDir, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await listeningUrl(server);
      const prototype = (await (await fetch(`${url}/prototype`)).json()) as { ptype: unknown };
      expect(prototype.ptype).toEqual({
        columns: [
          { name: 'a', type: 'number' },
          { name: 'b', type: 'number' },
        ],
      });
      const response = await fetch(`${url}/predict?type=prob`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(rows) });
      expect(response.status).toBe(200);
      expect(((await response.json()) as { predictions: unknown }).predictions).toEqual(expected);
      const bad = await fetch(`${url}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([{ a: 1 }]) });
      expect(bad.status).toBe(400);
      expect(JSON.stringify(await bad.json())).toContain('INVALID_INPUT');
    } finally {
      const exited = new Promise((done) => server.once('exit', done));
      server.kill('SIGTERM');
      await exited;
    }
  });
});

/** Waits for the CLI's "Serving ... at <url>" line. */
function listeningUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`modelbundle serve did not start: ${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolvePromise(match[1] as string);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`modelbundle serve exited with ${code}: ${output}`));
    });
  });
}
