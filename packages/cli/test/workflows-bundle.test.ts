import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createRegistry, ErrorCodes } from '@modelbundle/core';
import { writeBundle } from '@modelbundle/core/node';
import { tfjsPlugin } from '@modelbundle/tfjs';
import { predict, workflowsPlugin } from '@modelbundle/workflows';
import { fitDemo, loadPenguins } from '@modelbundle/workflows/demo';
import { beforeAll, describe, expect, it } from 'vitest';
import { projectDir, runCli } from './helpers.js';

let cwd: string;
let expected: Record<string, unknown>[];

const COLUMNS = ['Island', 'Beak Length (mm)', 'Beak Depth (mm)', 'Flipper Length (mm)', 'Body Mass (g)', 'Sex'] as const;

beforeAll(async () => {
  cwd = await projectDir();
  const workflow = await fitDemo({ epochs: 2 });
  const registry = createRegistry({ autoload: false }).registerPlugin(tfjsPlugin).registerPlugin(workflowsPlugin);
  await writeBundle(join(cwd, 'penguins.mbnd'), await registry.bundle(workflow));
  // Rows 0..5 of the data, one with missing measurements (row 3), as a CSV a user would export.
  const rows = (await loadPenguins()).slice(0, 6).map((p) => Object.fromEntries(COLUMNS.map((c) => [c, p[c]])));
  expected = await predict(workflow, rows, { type: 'prob' });
  const cell = (v: unknown) => (v === null ? '' : /[,"]/.test(String(v)) ? `"${v}"` : String(v));
  await writeFile(join(cwd, 'penguins.csv'), [COLUMNS.map(cell).join(','), ...rows.map((r) => COLUMNS.map((c) => cell(r[c])).join(','))].join('\n'));
}, 120_000);

describe('a fitted workflow bundle through the command line', () => {
  it('predicts a CSV with missing cells exactly as the live workflow does', async () => {
    const result = await runCli(['predict', 'penguins.mbnd', '--input', 'penguins.csv', '--type', 'prob', '--json'], { cwd });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).predictions).toEqual(expected);
  });

  it('inspects it: requirements satisfied by the packages the command line ships', async () => {
    const result = await runCli(['inspect', 'penguins.mbnd', '--json', '--strict'], { cwd });
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.kind).toBe('workflows.fitted');
    expect(report.requirementsSatisfied).toBe(true);
    expect(report.ptype.columns.map((c: { name: string }) => c.name)).toEqual([...COLUMNS]);
  });

  it('exports the model embedded in the workflow as tfjs files that predict as the workflow’s model does', async () => {
    const result = await runCli(['export', 'penguins.mbnd', '--format', 'tfjs', 'exported', '--json'], { cwd });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ embeddedIn: 'workflows.fitted' });
    const modelJson = JSON.parse(await readFile(join(cwd, 'exported', 'model.json'), 'utf8'));
    expect(modelJson.format).toBe('layers-model');
    const tfjsBundle = await runCli(['import', join(cwd, 'exported', 'model.json'), '-o', 'model.mbnd', '--json'], { cwd });
    expect(tfjsBundle.code, tfjsBundle.stderr).toBe(0);
    const inspected = JSON.parse((await runCli(['inspect', 'model.mbnd', '--json'], { cwd })).stdout);
    expect(inspected.kind).toMatch(/^tfjs\./);
    expect(inspected.ptype.inputs[0].shape).toEqual([null, 10]);
  });

  it('exits 25 naming a missing and a mistyped column', async () => {
    const result = await runCli(['predict', 'penguins.mbnd', '-i', '-', '--json'], {
      cwd,
      input: JSON.stringify([{ 'Beak Length (mm)': 40, 'Beak Depth (mm)': 18, 'Flipper Length (mm)': 190, 'Body Mass (g)': 'heavy', Sex: 'MALE' }]),
    });
    expect(result.code).toBe(ErrorCodes.INVALID_INPUT.exit);
    const { message } = JSON.parse(result.stdout).error;
    expect(message).toContain('Island');
    expect(message).toContain('Body Mass (g)');
  });
});
