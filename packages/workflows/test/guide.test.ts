import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_DIR, REPO_ROOT, runScript, scratchDir } from './helpers.js';

// Every code block of the guide (and the package README) runs here, in order, each file in a new node process, so the guide cannot drift.
const GUIDE = join(REPO_ROOT, 'docs', 'guides', 'saving-and-reloading.md');

interface Block {
  lang: string;
  file: string | undefined;
  code: string;
}

function codeBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  for (const match of markdown.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)) {
    const code = match[2]!;
    blocks.push({ lang: match[1]!, file: /^\/\/ file: (\S+\.mjs)\n/.exec(code)?.[1], code });
  }
  return blocks;
}

const blocks = codeBlocks(await readFile(GUIDE, 'utf8'));
let scratch: Awaited<ReturnType<typeof scratchDir>>;
beforeAll(async () => {
  scratch = await scratchDir();
});
afterAll(() => scratch?.cleanup());

describe('docs/guides/saving-and-reloading.md', () => {
  it('has the sections the guide promises', async () => {
    const text = await readFile(GUIDE, 'utf8');
    for (const heading of [
      '## Overview',
      '## Strategy 1',
      '## Strategy 2',
      '## Comparison',
      '## What happens under the hood',
      '## When the model cannot be captured',
    ]) {
      expect(text).toContain(heading);
    }
    for (const row of ['Works across sessions', 'Works across machines', 'containers', 'Extra dependency', 'Code complexity']) expect(text).toContain(row);
  });

  it('has only runnable js blocks, each naming its file', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(8);
    for (const block of blocks) {
      expect(block.lang, block.code.slice(0, 80)).toBe('js');
      expect(block.file, block.code.slice(0, 80)).toBeDefined();
    }
    expect(new Set(blocks.map((b) => b.file)).size).toBe(blocks.length);
  });

  it('runs every block, in order, in a new process', async () => {
    // The scripts run in an application folder that has the package installed, as a user's project does (autoload looks only there).
    await mkdir(join(scratch.dir, 'node_modules', '@modelbundle'), { recursive: true });
    await symlink(PACKAGE_DIR, join(scratch.dir, 'node_modules', '@modelbundle', 'workflows'), 'dir').catch(() => {});
    for (const block of blocks) await writeFile(join(scratch.dir, block.file!), block.code);
    // A worker script only runs when another block starts it.
    const started = blocks.filter((b) => !blocks.some((other) => other !== b && other.code.includes(`'./${b.file}'`) && other.code.includes('new Worker')));
    for (const block of started) {
      await runScript(join(scratch.dir, block.file!), block.code);
    }
  }, 300_000);

  it("runs the package README's example", async () => {
    const readme = codeBlocks(await readFile(join(PACKAGE_DIR, 'README.md'), 'utf8'));
    expect(readme).toHaveLength(1);
    await runScript(join(scratch.dir, 'readme.mjs'), readme[0]!.code);
  });
});
