import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

describe('docs/ARCHITECTURE.md', () => {
  it('names only files and folders that exist', async () => {
    const text = await readFile(join(ROOT, 'docs', 'ARCHITECTURE.md'), 'utf8');
    const named = [...text.matchAll(/`((?:packages|examples|docs|test|bench|scripts)\/[^`\s]+)`/g)].map((m) => m[1] as string);
    expect(named.length).toBeGreaterThan(20);
    expect(named.filter((path) => !existsSync(join(ROOT, path)))).toEqual([]);
  });
});
