import { Board, FolderStorage } from '@modelbundle/boards';
import { afterAll } from 'vitest';
import { describeBoard } from './board-suite.js';
import { tempDir } from './helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

describeBoard('a folder', async (cache) => {
  const { dir, cleanup } = await tempDir('folder-board');
  cleanups.push(cleanup);
  return new Board(new FolderStorage(dir), { cache });
});
