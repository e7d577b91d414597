import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { docExamples } from '../../../test/browser/support/doc-example.js';
import { runTsExample } from '../../../test/support/run-example.js';
import { refusedLayers, SUPPORTED_ACTIVATIONS, supportedLayers } from '../src/index.js';
import { FIXTURES } from './oracle.js';

// docs/guides/keras.md: its code runs here as a reader would run it, and its tables are the code's.
const GUIDE = new URL('../../../docs/guides/keras.md', import.meta.url);

function table(head: [string, string], rows: [string, string][]): string {
  return [`| ${head[0]} | ${head[1]} |`, '| --- | --- |', ...rows.map(([a, b]) => `| \`${a}\` | ${b} |`)].join('\n');
}

function withSection(text: string, name: string, body: string): string {
  const pattern = new RegExp(`(<!-- ${name}:start -->\\n)[\\s\\S]*?(<!-- ${name}:end -->)`);
  return text.replace(pattern, `$1${body}\n$2`);
}

describe('docs/guides/keras.md', () => {
  it('lists exactly the layers and activations the code maps, and the classes it refuses', async () => {
    const text = await readFile(GUIDE, 'utf8');
    const layers = `${table(['Keras layer', 'TensorFlow.js layer'], supportedLayers())}\n\nActivations: ${SUPPORTED_ACTIVATIONS.map((a) => `\`${a}\``).join(', ')}.`;
    const expected = withSection(withSection(text, 'layers-table', layers), 'refused-table', table(['Keras class', 'why'], refusedLayers()));
    if (process.env.UPDATE_DOCS) await writeFile(GUIDE, expected);
    expect(text).toBe(expected);
  });

  it('imports, restores and predicts as the examples show', async () => {
    const examples = await docExamples(GUIDE);
    const cache = new URL('./.cache/', import.meta.url).pathname;
    await mkdir(cache, { recursive: true });
    // Each example runs in its own fresh folder; the second needs the first's bundle, so they share one parent with model.keras.
    const dir = join(cache, `guide-${process.pid}`);
    await mkdir(dir, { recursive: true });
    await copyFile(join(FIXTURES, 'mlp.keras'), join(dir, 'model.keras'));
    const run = async (name: string) => {
      const code = (examples.get(name) as string)
        .replaceAll("'model.keras'", `'${join(dir, 'model.keras')}'`)
        .replaceAll("'model.mbnd'", `'${join(dir, 'model.mbnd')}'`);
      return runTsExample(code, cache);
    };
    try {
      const imported = await run('import');
      expect(imported.stderr).toBe('');
      expect(imported.stdout).toContain('tfjs.sequential {"format":"keras","kerasClasses":[],"kerasVersion":"3.5.0"}');
      expect(imported.stdout).toContain('same size');
      const restored = await run('restore');
      expect(restored.stderr).toBe('');
      expect(restored.stdout.trim()).toBe('1x3');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
