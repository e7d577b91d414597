import { type Bundle, createBundle, type ErrorCode, encodeBundle, type HeaderDraft } from '@modelbundle/core';
import { expectCode } from '@modelbundle/testing';
import { bundleToModel, ensureBackend, modelToBundle } from '@modelbundle/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { denseModel } from './models.js';

type Payload = { topology: string; weights: Record<string, unknown>[]; optimizerState?: unknown };
let original: Bundle;

beforeAll(async () => {
  await ensureBackend();
  const model = denseModel();
  original = await oneSectionPerWeight(await modelToBundle(model));
  model.dispose();
});

/**
 * The bundle as payload 1.x lays it out, one section `weights/<i>` per weight (payload 2.0 packs
 * this model's small weights into one shared section): the rules below are those of that layout.
 */
async function oneSectionPerWeight(bundle: Bundle): Promise<Bundle> {
  const payload = structuredClone(bundle.header.payload) as Payload;
  const sections = new Map([...bundle.sections].filter(([name]) => !name.startsWith('weights/')));
  for (const [i, w] of payload.weights.entries()) {
    const { section, offset = 0, shape } = w as { section: string; offset?: number; shape: number[] };
    const bytes = (bundle.sections.get(section) as Uint8Array).subarray(offset as number, (offset as number) + 4 * shape.reduce((a, b) => a * b, 1));
    sections.set(`weights/${i}`, bytes);
    w.section = `weights/${i}`;
    delete w.offset;
  }
  const { format: _f, sections: _s, ...draft } = bundle.header;
  return createBundle({ ...(draft as HeaderDraft), serializer: { ...bundle.header.serializer, version: '1.0.0' }, payload }, sections);
}

/** A well-formed bundle (valid digests) whose tfjs payload or sections were altered. */
async function altered(edit: (payload: Payload, sections: Map<string, Uint8Array>) => void): Promise<Uint8Array> {
  const payload = structuredClone(original.header.payload) as Payload;
  const sections = new Map(original.sections);
  edit(payload, sections);
  const { format: _f, sections: _s, ...draft } = original.header;
  return encodeBundle(await createBundle({ ...(draft as HeaderDraft), payload }, sections));
}

const cases: [string, (p: Payload, s: Map<string, Uint8Array>) => void, ErrorCode, string][] = [
  [
    'a section shorter than its shape needs',
    (p) => {
      (p.weights[0] as { shape: number[] }).shape = [4, 6];
    },
    'MALFORMED',
    'takes 96 bytes',
  ],
  [
    'an unknown dtype',
    (p) => {
      (p.weights[0] as { dtype: string }).dtype = 'string';
    },
    'MALFORMED',
    'dtype "string"',
  ],
  [
    'a shape whose size overflows',
    (p) => {
      (p.weights[0] as { shape: number[] }).shape = [2 ** 40, 2 ** 40];
    },
    'LIMIT_EXCEEDED',
    'overflows',
  ],
  [
    'a negative dimension',
    (p) => {
      (p.weights[0] as { shape: number[] }).shape = [-4, -5];
    },
    'MALFORMED',
    'non-negative',
  ],
  [
    'a weight naming a missing section',
    (p) => {
      (p.weights[0] as { section: string }).section = 'weights/99';
    },
    'MALFORMED',
    'weights/99',
  ],
  [
    'two weights sharing a section',
    (p) => {
      (p.weights[1] as { section: string }).section = 'weights/0';
    },
    'MALFORMED',
    'used twice',
  ],
  [
    'a missing topology section',
    (p) => {
      p.topology = 'nowhere.json';
    },
    'MALFORMED',
    'nowhere.json',
  ],
  ['a topology that is not JSON', (_p, s) => void s.set('topology.json', new TextEncoder().encode('{"modelTopology": ')), 'MALFORMED', 'not valid JSON'],
  ['a topology without modelTopology', (_p, s) => void s.set('topology.json', new TextEncoder().encode('{"x": 1}')), 'MALFORMED', 'modelTopology'],
  [
    'optimizer state under an unknown name',
    (p) => {
      p.optimizerState = [{ name: 'constructor', section: 'weights/0' }];
    },
    'MALFORMED',
    'constructor',
  ],
];

describe('topology and payload validation before tfjs sees them', () => {
  it.each(cases)('refuses %s', async (_what, edit, code, mention) => {
    const bytes = await altered(edit);
    const before = tf.memory().numTensors;
    await expectCode(bundleToModel(bytes), code, mention);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('still loads the unaltered bundle', async () => {
    const model = await bundleToModel(await altered(() => {}));
    expect(model.countParams()).toBe(37);
    model.dispose();
  });
});
