import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const guide = readFileSync(join(root, 'docs/guides/writing-a-serializer.md'), 'utf8');

/** Fenced code blocks of the guide: language and lines. */
const blocks = [...guide.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({
  lang: m[1] as string,
  lines: (m[2] as string).replace(/\n$/, '').split('\n'),
}));
/** Blocks whose first line names the source file they were copied from. */
const copied = blocks.flatMap((b) => {
  const path = /^\/\/ (examples\/\S+)$/.exec(b.lines[0] ?? '')?.[1];
  return path ? [{ path, body: b.lines.slice(1) }] : [];
});

describe('docs/guides/writing-a-serializer.md', () => {
  it('quotes the example plugin’s source', () => {
    expect(copied.length).toBeGreaterThanOrEqual(8);
  });

  it.each(copied.map((c, i) => [`${i + 1}: ${c.path}`, c] as const))('block %s matches the file, in order', (_, { path, body }) => {
    // Compared line by line without leading indentation, which Markdown formatters may change.
    const source = readFileSync(join(root, path), 'utf8')
      .split('\n')
      .map((line) => line.trim());
    // "// ..." lines stand for code left out; every other run of lines appears verbatim, in order.
    const chunks: string[][] = [[]];
    for (const line of body) {
      if (line.trim() === '// ...') chunks.push([]);
      else chunks.at(-1)?.push(line.trim());
    }
    let from = 0;
    for (const chunk of chunks.filter((c) => c.length > 0)) {
      let at = from;
      while (at < source.length && chunk.some((line, i) => source[at + i] !== line)) at++;
      expect(at < source.length, `this part of the block is not in ${path}:\n${chunk.join('\n')}`).toBe(true);
      from = at + chunk.length;
    }
  });

  it('shows the package.json fields the plugin really declares', () => {
    const shown = blocks.find((b) => b.lang === 'json' && b.lines.join('\n').includes('"modelbundle"'));
    const manifest = JSON.parse(readFileSync(join(root, 'examples/linear-model/package.json'), 'utf8'));
    expect(shown).toBeDefined();
    expect(manifest).toMatchObject(JSON.parse((shown?.lines ?? []).join('\n')));
  });
});

/** The guide's and the README's runnable examples (JS blocks that import packages), in order. */
const readme = readFileSync(join(root, 'examples/linear-model/README.md'), 'utf8');
const runnable = [guide, readme].flatMap((doc) =>
  [...doc.matchAll(/^```js\n([\s\S]*?)^```$/gm)].map((m) => m[1] as string).filter((code) => code.startsWith('import ')),
);

describe('the examples of the guide and the README run, each in a fresh process', () => {
  // An application folder: the snippets' files go here, and packages resolve from the workspace root.
  const app = mkdtempSync(join(tmpdir(), 'mbnd-guide-'));
  symlinkSync(join(root, 'node_modules'), join(app, 'node_modules'), 'dir');
  afterAll(() => rmSync(app, { recursive: true, force: true }));
  const run = (code: string, check: string): unknown => {
    const file = join(app, `snippet-${Math.random().toString(36).slice(2)}.mjs`);
    writeFileSync(file, `${code}\nconsole.log(JSON.stringify(${check}));\n`);
    return JSON.parse(execFileSync(process.execPath, [file], { cwd: app, encoding: 'utf8' }).trim().split('\n').at(-1) as string);
  };

  it('finds the runnable examples', () => {
    expect(runnable).toHaveLength(4);
  });

  it('fits a regression that predicts what the guide says', () => {
    expect(runnable[0]).toContain('// ≈ [2.46]');
    const [y] = run(runnable[0] as string, 'model.predict([[1, 1]])') as number[];
    expect(y).toBeCloseTo(2.46, 2);
  });

  it('registers the plugin and writes a bundle, which a fresh process restores through autoload', () => {
    expect(run(runnable[1] as string, "(await import('node:fs')).statSync('house-prices.mbnd').size")).toBeGreaterThan(128);
    expect(run(runnable[2] as string, '[model.constructor.name, model.features]')).toEqual(['LinearModel', ['a', 'b']]);
  });

  it('round-trips a logistic regression as the README shows', () => {
    expect(runnable[3]).toContain("// ['yes']");
    expect(run(runnable[3] as string, 'restored.predictClass([[2.5, 1]])')).toEqual(['yes']);
  });
});
