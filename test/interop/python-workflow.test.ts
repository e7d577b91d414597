import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRegistry } from '@modelbundle/core';
import { signFile, writeBundle, writeKeyPair } from '@modelbundle/core/node';
import { tfjsPlugin } from '@modelbundle/tfjs';
import { predict, workflowsPlugin } from '@modelbundle/workflows';
import { fitDemo, loadPenguins } from '@modelbundle/workflows/demo';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingPythonDeps, READER, runReader } from './python.js';

let dir = '';
beforeAll(async () => {
  const missing = missingPythonDeps();
  if (missing) throw new Error(missing);
  dir = await mkdtemp(join(tmpdir(), 'mbnd-python-workflow-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the Python reader on the demo workflow', () => {
  it('predicts the workflow bundle in numpy (recipe, one-hot, imputation, outcome levels) within 1e-5 of Node', async () => {
    const registry = createRegistry({ autoload: false }).registerPlugin(tfjsPlugin).registerPlugin(workflowsPlugin);
    const workflow = await fitDemo({ epochs: 3 });
    const path = join(dir, 'penguins.mbnd');
    await writeBundle(path, await registry.bundle(workflow));
    // Every penguin, missing measurements and sex included, and one level unseen at fit time (all zeros under 'zero').
    const penguins = (await loadPenguins()).map(({ Species: _, ...row }) => row);
    const rows = [...penguins, { ...penguins[0]!, Island: 'Mars' }];
    const expected = await predict(workflow, rows, { type: 'prob' });
    const { status, json, stderr } = runReader(['predict-workflow', path, 'prob'], JSON.stringify(rows));
    expect(status, stderr).toBe(0);
    const got = json as Record<string, number>[];
    expect(got).toHaveLength(expected.length);
    let worst = 0;
    for (const [i, row] of expected.entries()) {
      expect(Object.keys(got[i]!)).toEqual(Object.keys(row));
      for (const [key, value] of Object.entries(row)) worst = Math.max(worst, Math.abs((got[i]![key] as number) - (value as number)));
    }
    expect(worst).toBeLessThan(1e-5);
    const classes = runReader(['predict-workflow', path], JSON.stringify(rows)).json;
    expect(classes).toEqual(await predict(workflow, rows, { type: 'class' }));
  });

  it('checks a signature with the .pub and .key files keygen writes', async () => {
    const registry = createRegistry({ autoload: false }).registerPlugin(tfjsPlugin).registerPlugin(workflowsPlugin);
    const path = join(dir, 'signed.mbnd');
    await writeBundle(path, await registry.bundle(await fitDemo({ epochs: 1 })));
    const keys = await writeKeyPair(dir, { name: 'publisher' });
    await signFile(path, keys.privateKeyPath);
    for (const keyFile of [keys.publicKeyPath, keys.privateKeyPath]) {
      const { status, json, stderr } = runReader(['signature', path, keyFile]);
      expect(status, stderr).toBe(0);
      expect((json as { signed: boolean }).signed).toBe(true);
    }
    const missing = runReader(['signature', path, join(dir, 'nowhere.pub')]);
    expect((missing.json as { error: { code: string } }).error.code).toBe('NOT_FOUND');
  });

  it('says how to install msgpack when the Python it runs on lacks it', () => {
    // A Python without msgpack: the same interpreter with its site packages hidden (-S -I), if it has none built in.
    const bare = spawnSync('/usr/bin/python3', ['-S', '-I', '-c', 'import msgpack'], { encoding: 'utf8' });
    if (bare.status === 0) return;
    const result = spawnSync('/usr/bin/python3', ['-S', '-I', READER, 'inspect', 'x.mbnd'], { encoding: 'utf8' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('needs the msgpack package');
    expect(result.stderr).toContain('apt-get install python3-msgpack');
  });
});
