import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import v8 from 'node:v8';
import { Worker } from 'node:worker_threads';
import { liveModelOf, predict, workflowReplacer, workflowReviver } from '@modelbundle/workflows';
import { pack, unpack } from 'msgpackr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Case, fitCases, REPO_ROOT, runScript, scratchDir } from './helpers.js';

// Strategy 1: the platform's own copying. Every copy must predict exactly what the original does.
let cases: Case[];
let expected: Map<string, unknown>;
let scratch: Awaited<ReturnType<typeof scratchDir>>;

async function predictAll(c: Case, workflow: unknown): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const type of c.types) out[type] = await predict(workflow, c.rows, { type });
  return out;
}

beforeAll(async () => {
  cases = await fitCases();
  expected = new Map();
  for (const c of cases) expected.set(c.name, await predictAll(c, c.workflow));
  scratch = await scratchDir();
});
afterAll(() => scratch?.cleanup());

const copies: [string, (w: unknown) => unknown][] = [
  ['structuredClone', (w) => structuredClone(w)],
  ['v8.serialize / v8.deserialize', (w) => v8.deserialize(v8.serialize(w))],
  ['JSON.stringify / JSON.parse (toJSON keeps bytes as base64)', (w) => JSON.parse(JSON.stringify(w))],
  ['JSON with the reviver (bytes back as Uint8Array)', (w) => JSON.parse(JSON.stringify(w), workflowReviver)],
  ['JSON of a copy that lost its class, with the replacer', (w) => JSON.parse(JSON.stringify(structuredClone(w), workflowReplacer))],
  ['msgpackr pack / unpack', (w) => unpack(pack(w))],
];

describe('strategy 1: a fitted workflow survives plain copies', () => {
  it('fits one original per combination, with bytes captured and a live model', () => {
    expect(cases.map((c) => c.name)).toEqual(['sequential classification', 'sequential regression', 'functional classification', 'functional regression']);
    for (const c of cases) {
      expect(c.workflow.modelBytes).toBeInstanceOf(Uint8Array);
      expect(c.workflow.captureFailure).toBeNull();
      expect(liveModelOf(c.workflow)).toBeDefined();
    }
  });

  for (const [name, copy] of copies) {
    it(`${name}: the copy has no live model, restores it and predicts the same numbers`, async () => {
      for (const c of cases) {
        const copied = copy(c.workflow) as object;
        expect(liveModelOf(copied)).toBeUndefined();
        expect(await predictAll(c, copied)).toEqual(expected.get(c.name));
        expect(liveModelOf(copied)).toBeDefined();
      }
    });
  }

  it('JSON keeps the model bytes as { $base64 } and the reviver gives the same bytes back', () => {
    const c = cases[0]!;
    const parsed = JSON.parse(JSON.stringify(c.workflow));
    expect(typeof parsed.modelBytes.$base64).toBe('string');
    const revived = JSON.parse(JSON.stringify(c.workflow), workflowReviver);
    expect(Buffer.from(revived.modelBytes).equals(Buffer.from(c.workflow.modelBytes!))).toBe(true);
  });

  it('v8.serialize written to a file predicts the same numbers in a new node process', async () => {
    const file = join(scratch.dir, 'workflows.v8');
    await writeFile(file, v8.serialize(cases.map((c) => ({ name: c.name, workflow: c.workflow, rows: c.rows, types: c.types }))));
    const stdout = await runScript(
      join(scratch.dir, 'reload-v8.mjs'),
      `import { readFileSync } from 'node:fs';
import v8 from 'node:v8';
import { predict } from '@modelbundle/workflows';
const saved = v8.deserialize(readFileSync(process.argv[2]));
const out = {};
for (const c of saved) {
  out[c.name] = {};
  for (const type of c.types) out[c.name][type] = await predict(c.workflow, c.rows, { type });
}
process.stdout.write(JSON.stringify(out));
`,
      { args: [file], cwd: REPO_ROOT },
    );
    const fromChild = JSON.parse(stdout);
    for (const c of cases) expect(fromChild[c.name]).toEqual(expected.get(c.name));
  });

  it("a worker's postMessage: the worker restores, predicts the same numbers, and sends the workflow back", async () => {
    const file = join(scratch.dir, 'worker.mjs');
    await writeFile(
      file,
      `import { parentPort } from 'node:worker_threads';
import { predict } from '@modelbundle/workflows';
parentPort.on('message', async (c) => {
  const out = {};
  for (const type of c.types) out[type] = await predict(c.workflow, c.rows, { type });
  parentPort.postMessage({ out, workflow: c.workflow });
});
`,
    );
    const worker = new Worker(file);
    try {
      for (const c of cases) {
        const reply = await new Promise<{ out: unknown; workflow: object }>((resolve, reject) => {
          worker.once('message', resolve);
          worker.once('error', reject);
          worker.postMessage({ workflow: c.workflow, rows: c.rows, types: c.types });
        });
        expect(reply.out).toEqual(expected.get(c.name));
        expect(await predictAll(c, reply.workflow)).toEqual(expected.get(c.name));
      }
    } finally {
      await worker.terminate();
    }
  });
});
