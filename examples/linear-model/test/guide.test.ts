import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

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
