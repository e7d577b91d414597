import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBundle, decodeBundle, encodeBundle, type HeaderDraft } from '@modelbundle/core';
import { writeBundle } from '@modelbundle/core/node';
import { draft } from '@modelbundle/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const KILLS = 200;
const CHAINS = 2; // independent targets killed in parallel, to keep the wall time down
const WRITER = new URL('./support/rewrite-forever.mjs', import.meta.url).pathname;

/** The kit's header draft, its metadata naming which of the two bundles it is. */
function versionDraft(version: string): HeaderDraft {
  return draft({ kind: 'test.crash', metadata: { version } });
}

function filled(length: number, value: number): Uint8Array {
  return new Uint8Array(length).fill(value);
}

async function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise((resolve) => child.once('exit', resolve));
}

async function waitForReady(child: ChildProcess): Promise<void> {
  let seen = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes('ready')) resolve();
    });
    child.once('exit', (code, signal) => reject(new Error(`writer exited (${code ?? signal}) before it was ready`)));
  });
}

const temps = (names: string[]) => names.filter((n) => n.endsWith('.mbtmp'));

describe('crash-safe writes: a writer killed at any moment leaves the old or the new file', () => {
  let dir: string;
  let oldBytes: Uint8Array;
  let newBytes: Uint8Array;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mb-crash-'));
    // Big enough that a write spans many syscalls, small enough to keep the test quick.
    oldBytes = encodeBundle(await createBundle(versionDraft('old'), [['w', filled(300_000, 1)]]));
    newBytes = encodeBundle(
      await createBundle(versionDraft('new'), [
        ['w', filled(200_000, 2)],
        ['b', filled(77_777, 3)],
      ]),
    );
    await writeFile(join(dir, 'old.mbnd'), oldBytes);
    await writeFile(join(dir, 'new.mbnd'), newBytes);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it(`SIGKILLs a rewriting child ${KILLS} times; the target always decodes and equals the old or the new bundle`, async () => {
    const seen = { old: 0, new: 0, strays: 0 };
    const chain = async (c: number) => {
      const target = join(dir, `chain${c}`, 'model.mbnd');
      await rm(join(dir, `chain${c}`), { recursive: true, force: true });
      await import('node:fs/promises').then((fs) => fs.mkdir(join(dir, `chain${c}`)));
      await writeFile(target, oldBytes);
      // The next writer starts (loads Node and the bundles) while the current one is killed and checked.
      const start = () => {
        const child = spawn(process.execPath, [WRITER, target, join(dir, 'new.mbnd'), join(dir, 'old.mbnd')], { stdio: ['pipe', 'pipe', 'inherit'] });
        return { child, ready: waitForReady(child) };
      };
      let next = start();
      for (let i = 0; i < KILLS / CHAINS; i++) {
        const { child, ready } = next;
        await ready;
        next = start();
        child.stdin?.write('go\n');
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 25));
        child.kill('SIGKILL');
        await exited(child);
        const bytes = new Uint8Array(await readFile(target));
        const matches = Buffer.compare(bytes, oldBytes) === 0 ? 'old' : Buffer.compare(bytes, newBytes) === 0 ? 'new' : undefined;
        expect(matches, `kill ${i} of chain ${c}: the target is ${bytes.length} bytes, neither bundle`).toBeDefined();
        await decodeBundle(bytes); // and it verifies
        seen[matches as 'old' | 'new']++;
        const strays = temps(await readdir(join(dir, `chain${c}`)));
        seen.strays += strays.length;
        // Each writer removes the temp files of writers that died before it: they never pile up.
        expect(strays.length, `temp files after kill ${i}`).toBeLessThanOrEqual(1);
      }
      next.ready.catch(() => {}); // the spare writer is killed before it is ready
      next.child.kill('SIGKILL');
      await exited(next.child);
      await writeBundle(target, await decodeBundle(newBytes));
      expect(temps(await readdir(join(dir, `chain${c}`))), 'temp files after the next write').toEqual([]);
    };
    await Promise.all(Array.from({ length: CHAINS }, (_, c) => chain(c)));
    expect(seen.old + seen.new).toBe(KILLS);
    // The kills landed mid-write, not only between writes: some left a temp file behind, and both outcomes occurred.
    expect(seen.strays).toBeGreaterThan(0);
    expect(seen.old).toBeGreaterThan(0);
    expect(seen.new).toBeGreaterThan(0);
  }, 600_000);
});
