import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runTsExample } from '../../../test/support/run-example.js';

const CORE_DIR = fileURLToPath(new URL('..', import.meta.url));

describe('README example', () => {
  it('runs in a fresh Node process and prints what the README says', async () => {
    const readme = await readFile(join(CORE_DIR, 'README.md'), 'utf8');
    const code = /```ts\n([\s\S]*?)\n```/.exec(readme)?.[1];
    const printed = /It prints:\n\n```text\n([\s\S]*?)\n```/.exec(readme)?.[1];
    if (!code || !printed) throw new Error('README.md lost its example or its output');
    // Inside the package, so `@modelbundle/core` resolves to this package.
    const result = await runTsExample(code, join(CORE_DIR, 'test'));
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toBe(printed.trim());
  });
});
