import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type Bundle,
  createBundle,
  createRegistry,
  encodeBundle,
  exportPrivateKey,
  type HeaderDraft,
  importPrivateKey,
  importPublicKey,
  type Registry,
  signBundle,
} from '@modelbundle/core';
import { toHex } from '@modelbundle/core/internal';
import { draft } from '@modelbundle/testing';
import { ensureBackend, isLayersModel, tfjsPlugin } from '@modelbundle/tfjs';
import { disposeModel, fit as fitWorkflow, sequentialSpec, workflowsPlugin } from '@modelbundle/workflows';
import * as tfl from '@tensorflow/tfjs-layers';
import { linearBundle, linearRegistry } from '../security/support/fixtures.js';

/** One valid bundle the mutators start from. */
export interface Seed {
  name: string;
  bytes: Uint8Array;
  signed: boolean;
  /** Not a bundle (a Keras file): only byte mutations apply. */
  raw?: boolean;
}

/**
 * A serializer the fuzzer unbundles with: how to register it and a few small
 * valid bundles of its kind. Adding a serializer to the fuzzer is one entry
 * in {@link SERIALIZERS}.
 */
export interface SerializerUnderTest {
  name: string;
  register(registry: Registry): void | Promise<void>;
  seeds(): Promise<Uint8Array[]>;
  /** Frees a value this serializer restored (tensors, for instance); ignores values of other kinds. */
  dispose?(value: unknown): void;
}

/** Serializers every fuzz run covers. */
export const SERIALIZERS: SerializerUnderTest[] = [
  {
    name: 'test.linear',
    register: (registry) => {
      for (const s of linearRegistry().list()) registry.register(s);
    },
    seeds: async () => [(await linearBundle(3, 1)).bytes, (await linearBundle(0, 2, {})).bytes, (await linearBundle(17, 3, { tags: ['a', 'b'] })).bytes],
  },
  {
    name: 'tfjs',
    register: async (registry) => {
      await ensureBackend();
      registry.registerPlugin(tfjsPlugin);
    },
    seeds: async () => {
      await ensureBackend();
      const registry = createRegistry({ autoload: false }).registerPlugin(tfjsPlugin);
      const model = tfl.sequential({ layers: [tfl.layers.dense({ units: 2, inputShape: [3] })] });
      try {
        return [encodeBundle(await registry.bundle(model, { created: '2026-01-01T00:00:00.000Z' }))];
      } finally {
        model.dispose();
      }
    },
    dispose: (value) => {
      if (isLayersModel(value)) value.dispose();
    },
  },
  {
    name: 'workflows',
    register: async (registry) => {
      registry.registerPlugin(workflowsPlugin);
    },
    seeds: async () => {
      const rows = Array.from({ length: 12 }, (_, i) => ({ a: i, b: ['x', 'y', 'z'][i % 3], y: i * 2 + 1 }));
      const spec = sequentialSpec({ mode: 'regression', blocks: [{ block: 'dense', args: { units: 2 } }], fit: { epochs: 1, batchSize: 4, seed: 1 } });
      await ensureBackend();
      const workflow = await fitWorkflow(spec, rows, { outcome: 'y' });
      const registry = createRegistry({ autoload: false }).registerPlugin(tfjsPlugin).registerPlugin(workflowsPlugin);
      try {
        return [encodeBundle(await registry.bundle(workflow, { created: '2026-01-01T00:00:00.000Z' }))];
      } finally {
        disposeModel(workflow);
      }
    },
    dispose: (value) => {
      if (value && typeof value === 'object') disposeModel(value);
    },
  },
];

/** Frees whatever a serializer under test restored. */
export function disposeRestored(value: unknown, serializers: readonly SerializerUnderTest[] = SERIALIZERS): void {
  for (const s of serializers) s.dispose?.(value);
}

/** The seeds, the key that signed some of them, and the header digests it signed. */
export interface Corpus {
  seeds: Seed[];
  publicKey: CryptoKey;
  /** Hex header digests of the seeds signed with `publicKey`: the only ones a forgery check may accept. */
  signedDigests: Set<string>;
}

// Every field set, so the raw seeds exercise each part of the header.
const rawDraft: HeaderDraft = draft({
  kind: 'fuzz.raw',
  serializer: { version: '1.0.0', package: '@modelbundle/fuzz-missing' },
  producer: { name: 'fuzz', version: '1.0.0' },
  requires: { '@modelbundle/core': '^0.1.0' },
  metadata: { nested: { list: [1, -2, 3.5, null, true, 'ü'], deep: { a: { b: { c: {} } } } }, big: 2 ** 40 },
  ptype: { inputs: [{ name: 'x', type: 'float32', shape: [null, 3] }] },
  summary: { params: 12 },
  payload: { bytes: Uint8Array.of(1, 2, 3) },
});

export async function buildCorpus(serializers: readonly SerializerUnderTest[] = SERIALIZERS): Promise<Corpus> {
  // A fixed key (Ed25519 signing is deterministic), so every case replays byte for byte.
  const privateKey = await importPrivateKey(new Uint8Array(32).fill(7));
  const { d: _secret, ...publicJwk } = await exportPrivateKey(privateKey, 'jwk');
  const keys = { privateKey, publicKey: await importPublicKey(publicJwk) };
  const bundles: { name: string; bundle: Bundle | Uint8Array }[] = [
    { name: 'empty', bundle: await createBundle(rawDraft) },
    {
      name: 'three-sections',
      bundle: await createBundle(rawDraft, [
        ['a', Uint8Array.of(1, 2, 3, 4, 5)],
        ['empty', new Uint8Array(0)],
        ['c/d', new Uint8Array(70).fill(9)],
      ]),
    },
  ];
  for (const s of serializers) for (const [i, bytes] of (await s.seeds()).entries()) bundles.push({ name: `${s.name}#${i}`, bundle: bytes });
  const seeds: Seed[] = [];
  const signedDigests = new Set<string>();
  const { decodeBundle } = await import('@modelbundle/core');
  for (const { name, bundle } of bundles) {
    const decoded = bundle instanceof Uint8Array ? await decodeBundle(bundle) : bundle;
    seeds.push({ name, bytes: encodeBundle(decoded), signed: false });
    const signed = await signBundle(decoded, keys.privateKey);
    signedDigests.add(toHex(signed.headerDigest));
    seeds.push({ name: `${name}+signed`, bytes: encodeBundle(signed), signed: true });
  }
  // Keras files (not bundles) for the kerasToBundle target: a .keras zip, deflated and stored, and a legacy .h5.
  for (const file of KERAS_SEEDS)
    seeds.push({ name: `keras:${file}`, bytes: new Uint8Array(await readFile(join(KERAS_FIXTURES, file))), signed: false, raw: true });
  return { seeds, publicKey: keys.publicKey, signedDigests };
}

// From the repository root (the fuzzer runs from a bundled copy elsewhere, so not relative to this file).
const KERAS_FIXTURES = join(process.cwd(), 'test', 'fixtures', 'keras');
const KERAS_SEEDS = ['mlp.keras', 'conv1d.keras', 'mlp.h5', 'rnn.keras3.h5'];
