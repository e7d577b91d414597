import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runTsExample } from './support/run-example.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

describe('README', () => {
  it('starts with set-up in exactly two commands, and CI runs the same test command', async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    const setup = /## Set up and run[^\n]*\n\n```sh\n([\s\S]*?)\n```/.exec(readme)?.[1];
    expect(setup?.split('\n')).toEqual(['npx pnpm@10 install && npx pnpm@10 start', 'npx pnpm@10 test']);
    expect(await readFile(join(ROOT, '.ci', 'run'), 'utf8')).toContain('npx -y pnpm@10 test');
  });

  it('runs its code example in a fresh Node process and prints what it says', async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    const code = /## In code\n\n```ts\n([\s\S]*?)\n```/.exec(readme)?.[1];
    const printed = /```text\n([\s\S]*?)\n```/.exec(readme)?.[1];
    if (!code || !printed) throw new Error('README.md lost its example or its output');
    const result = await runTsExample(code, join(ROOT, 'test'));
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toBe(printed.trim());
  });
});
