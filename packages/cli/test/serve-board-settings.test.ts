import { join } from 'node:path';
import { openBoard } from '@modelbundle/boards';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { linearBundle } from '../../serve/test/helpers.js';
import { CLI, projectDir, type RunningCli, startProcess } from './helpers.js';

let cwd: string;
const running: RunningCli[] = [];

beforeAll(async () => {
  cwd = await projectDir();
  await openBoard(join(cwd, 'board')).write('linear', await linearBundle({ bias: 1 }));
});
afterEach(() => {
  for (const proc of running.splice(0)) if (proc.child.exitCode === null) proc.child.kill('SIGKILL');
});

describe('modelbundle serve <board>/<name>@<ref>', () => {
  it('takes the same settings as serving a file: flags and MODELBUNDLE_* variables', async () => {
    const proc = startProcess(CLI, ['serve', `${join(cwd, 'board')}/linear@latest`, '--port', '0', '--max-rows', '1', '--log-level', 'warn'], {
      cwd,
      env: { MODELBUNDLE_AUTH_TOKEN: 'board-secret' },
    });
    running.push(proc);
    const [, url] = await proc.waitFor(/at (http:\/\/127\.0\.0\.1:\d+)/);
    const rows = (n: number) => JSON.stringify(Array.from({ length: n }, () => ({ x1: 1, x2: 2, group: 'a' })));
    const post = (body: string, token?: string) =>
      fetch(`${url}/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body,
      });
    expect((await post(rows(1))).status).toBe(401);
    expect((await post(rows(1), 'board-secret')).status).toBe(200);
    const tooMany = await post(rows(2), 'board-secret');
    expect(tooMany.status).toBe(413);
    expect(((await (await fetch(`${url}/metadata`)).json()) as { board: { name: string } }).board.name).toBe('linear');
  });
});
