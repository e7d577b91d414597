import { type ForgeOptions, forgeBundle, sectionTable, sha256Hex, takeApart } from '../security/support/forge.js';
import { MapEntries, RawBytes } from '../security/support/msgpack.js';
import type { Seed } from './corpus.js';
import { PTYPE_LIES } from './ptype-lies.js';
import type { Rng } from './rng.js';
import { TOPOLOGY_LIES } from './topology-lies.js';

/** Numbers that sit on the edges readers get wrong. */
const EDGE_NUMBERS: unknown[] = [
  0,
  1,
  -1,
  63,
  64,
  65,
  127,
  128,
  0x7fffffff,
  0x80000000,
  0xffffffff,
  2 ** 32,
  2 ** 53 - 1,
  2 ** 53,
  2n ** 63n,
  2n ** 64n - 1n,
  -(2n ** 63n),
  0.5,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  -0,
  1e308,
];
const EDGE_VALUES: unknown[] = [...EDGE_NUMBERS, '64', '', null, true, [], {}, new Uint8Array(3), 'x'.repeat(300)];

/** MessagePack that no conforming header holds, spliced in as a value. */
const HOSTILE_MSGPACK: Uint8Array[] = [
  Uint8Array.of(0xd4, 0x01, 0x00), // fixext 1
  Uint8Array.of(0xd6, 0xff, 0, 0, 0, 0), // timestamp extension
  Uint8Array.of(0xc7, 0x02, 0x05, 0xaa, 0xbb), // ext 8
  Uint8Array.of(0xc1), // never used
  Uint8Array.of(0xa2, 0xff, 0xfe), // invalid UTF-8
  Uint8Array.of(0xa1, 0xed), // lone surrogate half in UTF-8
  Uint8Array.of(0xdd, 0xff, 0xff, 0xff, 0xff), // array of 4 billion items
  Uint8Array.of(0xdf, 0x7f, 0xff, 0xff, 0xff), // map of 2 billion entries
  Uint8Array.of(0xdb, 0x7f, 0xff, 0xff, 0xff), // string of 2 GiB
  Uint8Array.of(0xc6, 0x00, 0x10, 0x00, 0x01), // binary of 1 MiB + 1
  Uint8Array.of(0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), // uint64 max
  Uint8Array.of(0xca, 0x7f, 0xc0, 0x00, 0x00), // float32 NaN
  Uint8Array.of(0x92, 0x01), // array that ends early
];

function hostileValue(rng: Rng): unknown {
  switch (rng.int(7)) {
    case 0:
      return new RawBytes(rng.pick(HOSTILE_MSGPACK));
    case 1:
      return new MapEntries([[rng.pick(['__proto__', 'constructor', 'prototype']), { polluted: true }]]);
    case 2:
      return new MapEntries([
        ['a', 1],
        ['a', 2],
      ]);
    case 3:
      return new MapEntries([[rng.pick<unknown>([1, null, true, Uint8Array.of(1), []]), 'non-string key']]);
    case 4: {
      let v: unknown = 'bottom';
      for (let i = rng.range(28, 40); i > 0; i--) v = rng.chance(0.5) ? [v] : { d: v };
      return v;
    }
    case 5:
      return Object.fromEntries(Array.from({ length: rng.range(1, 3000) }, (_, i) => [`k${i}`, i]));
    default:
      return rng.pick(EDGE_VALUES);
  }
}

type Lie = (rng: Rng, header: Record<string, any>, sections: Uint8Array[], options: ForgeOptions) => unknown;

const TOP_FIELDS = ['format', 'kind', 'serializer', 'producer', 'created', 'requires', 'metadata', 'ptype', 'summary', 'payload', 'sections'];

/** Structured lies: each edits the decoded header; the bundle is then re-encoded with a correct header digest. */
const LIES: Lie[] = [
  (rng, h) => {
    const s = rng.pick<any>(h.sections);
    if (s) s.offset = rng.chance(0.5) ? rng.pick(EDGE_VALUES) : s.offset + rng.pick([-64, -1, 1, 64, 4096]);
    return h;
  },
  (rng, h) => {
    const s = rng.pick<any>(h.sections);
    if (s) s.length = rng.chance(0.5) ? rng.pick(EDGE_VALUES) : s.length + rng.pick([-1, 1, 63, 64, 1 << 20]);
    return h;
  },
  (rng, h) => {
    const s = rng.pick<any>(h.sections);
    if (s) s.sha256 = rng.pick([s.sha256.toUpperCase(), s.sha256.slice(1), sha256Hex(Uint8Array.of(rng.next() & 0xff)), 42, null]);
    return h;
  },
  (rng, h) => {
    const s = rng.pick<any>(h.sections);
    if (s) s.name = rng.pick(['', '__proto__', 'a'.repeat(300), 'a\u0000b', '../x', 'ü', h.sections[0]?.name, 7]);
    return h;
  },
  (rng, h) => {
    const list = h.sections as unknown[];
    const op = rng.int(4);
    if (op === 0 && list.length > 0) list.splice(rng.int(list.length), 1);
    else if (op === 1 && list.length > 0) list.splice(rng.int(list.length), 0, structuredClone(rng.pick(list)));
    else if (op === 2 && list.length > 1) list.reverse();
    else list.push({ name: `extra${rng.int(9)}`, offset: rng.pick([0, 64, 1024]), length: rng.pick([0, 1, 64]), sha256: sha256Hex(new Uint8Array(0)) });
    return h;
  },
  (rng, h) => {
    h.sections = rng.pick<unknown>([{}, 'sections', null, Array.from({ length: rng.range(1, 70_000) }, () => null)]);
    return h;
  },
  (rng, h) => {
    const field = rng.pick(TOP_FIELDS);
    if (rng.chance(0.3)) delete h[field];
    else h[field] = rng.chance(0.5) ? rng.pick(EDGE_VALUES) : hostileValue(rng);
    return h;
  },
  (rng, h, _s, o) => {
    const [format, major, minor] = rng.pick<[string, number, number]>([
      ['1.1.0', 1, 1],
      ['1.7.3', 1, 7],
      ['1.0.0-rc.1', 1, 0],
      ['2.0.0', 2, 0],
      ['01.0.0', 1, 0],
      ['1.0', 1, 0],
      ['1.1.0', 1, 0],
    ]);
    h.format = format;
    o.formatMajor = major;
    o.formatMinor = minor;
    return h;
  },
  (rng, h) => {
    const target = rng.pick(['metadata', 'summary', 'payload', 'ptype']);
    if (typeof h[target] !== 'object' || h[target] === null || Array.isArray(h[target])) h[target] = {};
    h[target][rng.pick(['x', 'nested', 'k'])] = hostileValue(rng);
    return h;
  },
  (rng, h) => {
    // Fields a newer minor may add must be kept, not refused.
    h[rng.pick(['future', 'zzz', 'annotations'])] = rng.pick<unknown>([1, 'new', { a: [1, 2] }]);
    if (rng.chance(0.5)) h.serializer.extra = 'kept';
    return h;
  },
  (rng, h) => {
    // Serializer payloads that lie (the linear model's shape, dtype, features, bias), all digests honest.
    const p = typeof h.payload === 'object' && h.payload !== null ? h.payload : {};
    const key = rng.pick(['shape', 'dtype', 'features', 'bias']);
    p[key] = rng.pick<unknown>([
      ...EDGE_VALUES,
      [rng.pick(EDGE_NUMBERS)],
      [2 ** 31, 2 ** 31],
      [-1],
      ['3'],
      'float64',
      'int32',
      ['x0', 7],
      Array.from({ length: rng.int(20) }, (_, i) => `f${i}`),
    ]);
    h.payload = p;
    return h;
  },
  (rng, h, sections) => {
    // Section bytes replaced and re-digested: the envelope stays valid, the serializer sees new data.
    const i = rng.int(sections.length);
    if (sections.length === 0) return h;
    sections[i] = rng.pick([new Uint8Array(0), rng.bytes(rng.range(1, 200)), new Uint8Array(new Float32Array([Number.NaN, Number.POSITIVE_INFINITY]).buffer)]);
    h.sections = sectionTable(h.sections.map((s: any, j: number) => [s.name, sections[j] as Uint8Array]));
    return h;
  },
  (rng, h, _s, o) => {
    const field = rng.int(3);
    if (field === 0) o.headerLength = BigInt(rng.pick([0, 1, 100, 16 * 1024 * 1024 + 1, 2 ** 40]));
    else if (field === 1) o.fileLength = BigInt(rng.pick([0, 128, 129, 2 ** 32, 2 ** 53]));
    else {
      o.flags = rng.pick([1, 2, 0x80000000, 0xffffffff]);
      o.signature = rng.chance(0.5) ? rng.bytes(64) : new Uint8Array(64);
    }
    return h;
  },
  (rng, h) => {
    // A whole header map with duplicate or forbidden top-level keys (a parser-differential attack).
    const entries = Object.entries(h);
    entries.splice(
      rng.int(entries.length + 1),
      0,
      rng.pick<[string, unknown]>([
        ['sections', []],
        ['kind', 'other'],
        ['__proto__', {}],
        ['constructor', 1],
      ]),
    );
    return new MapEntries(entries);
  },
];

/** Values a serializer's own fields might be swapped for: edge values plus plausible-looking lies. */
const PAYLOAD_LIES: unknown[] = [
  ...EDGE_VALUES,
  'EvilLayer',
  'Function',
  'float16',
  'string',
  'complex64',
  -1,
  1e9,
  [1e9, 1e9],
  [-1, 3],
  [],
  [null],
  'weights',
  'model/topology',
];

/** Replaces one leaf (or one container) somewhere inside `root` with a lie. Returns false when there was nothing to replace. */
function replaceSomewhere(rng: Rng, root: unknown): boolean {
  const slots: [Record<string, unknown> | unknown[], string | number][] = [];
  const visit = (value: unknown, depth: number) => {
    if (slots.length > 5000 || depth > 40 || typeof value !== 'object' || value === null || value instanceof Uint8Array) return;
    for (const [k, v] of Object.entries(value)) {
      slots.push([value as Record<string, unknown>, Array.isArray(value) ? Number(k) : k]);
      visit(v, depth + 1);
    }
  };
  visit(root, 0);
  if (slots.length === 0) return false;
  const [holder, key] = rng.pick(slots);
  (holder as Record<string | number, unknown>)[key] = rng.chance(0.8) ? rng.pick(PAYLOAD_LIES) : hostileValue(rng);
  return true;
}

/** Lies inside a serializer's own data: its payload, or a JSON section (a tfjs topology), digests kept honest. */
const DEEP_LIES: Lie[] = [
  (rng, h) => {
    replaceSomewhere(rng, h.payload);
    return h;
  },
  (rng, h, sections) => {
    const json = sections.map((data, i) => [i, data] as const).filter(([, data]) => data[0] === 0x7b); // '{'
    if (json.length === 0) return h;
    const [i, data] = rng.pick(json);
    let doc: unknown;
    try {
      doc = JSON.parse(new TextDecoder().decode(data));
    } catch {
      return h;
    }
    for (let n = rng.range(1, 3); n > 0; n--) replaceSomewhere(rng, doc);
    sections[i] = new TextEncoder().encode(
      JSON.stringify(doc, (_k, v) => (typeof v === 'bigint' ? Number(v) : v instanceof Uint8Array ? [...v] : v)) ?? 'null',
    );
    h.sections = sectionTable(h.sections.map((s: any, j: number) => [s.name, sections[j] as Uint8Array]));
    return h;
  },
];

/** Byte-level mutations of a whole file: flips, edge values, truncation, extension, splices, insertions, deletions. */
const BYTE_MUTATORS: ((rng: Rng, bytes: Uint8Array, donors: readonly Seed[]) => Uint8Array)[] = [
  (rng, b) => {
    const out = b.slice();
    for (let n = rng.range(1, 8); n > 0 && out.length > 0; n--) {
      const i = rng.chance(0.4) ? rng.int(Math.min(out.length, 160)) : rng.int(out.length);
      out[i] = (out[i] as number) ^ (1 << rng.int(8));
    }
    return out;
  },
  (rng, b) => {
    const out = b.slice();
    for (let n = rng.range(1, 4); n > 0 && out.length > 0; n--) out[rng.int(out.length)] = rng.pick([0, 1, 0x7f, 0x80, 0xff, rng.next() & 0xff]);
    return out;
  },
  (rng, b) => b.slice(0, rng.chance(0.5) ? rng.int(Math.min(b.length, 200)) : rng.int(b.length)),
  (rng, b) => {
    const extra = rng.chance(0.5) ? new Uint8Array(rng.range(1, 128)) : rng.bytes(rng.range(1, 128));
    const out = new Uint8Array(b.length + extra.length);
    out.set(b);
    out.set(extra, b.length);
    return out;
  },
  (rng, b, donors) => {
    const donor = rng.pick(donors).bytes;
    const from = rng.int(donor.length);
    const chunk = donor.subarray(from, from + rng.range(1, 256));
    const at = rng.int(b.length);
    const out = b.slice();
    out.set(chunk.subarray(0, out.length - at), at);
    return out;
  },
  (rng, b) => {
    const at = rng.int(b.length + 1);
    const n = rng.range(1, 16);
    if (rng.chance(0.5)) return Uint8Array.from([...b.subarray(0, at), ...rng.bytes(n), ...b.subarray(at)]);
    return Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + n)]);
  },
  (rng, b) => {
    // A prefix field overwritten with an edge value.
    const out = b.slice();
    if (out.length < 32) return out;
    const view = new DataView(out.buffer);
    const field = rng.pick([8, 10, 12, 16, 24]);
    const value = rng.pick([
      0n,
      1n,
      127n,
      128n,
      BigInt(b.length),
      BigInt(b.length - 1),
      BigInt(b.length + 64),
      2n ** 31n,
      2n ** 32n,
      2n ** 53n,
      2n ** 64n - 1n,
    ]);
    if (field < 12) view.setUint16(field, Number(value & 0xffffn), true);
    else if (field === 12) view.setUint32(field, Number(value & 0xffffffffn), true);
    else view.setBigUint64(field, value, true);
    return out;
  },
];

/** One fuzz input: a seed, mutated by a byte mutator, a structured lie, or both. */
export async function mutate(rng: Rng, seeds: readonly Seed[]): Promise<{ seed: Seed; bytes: Uint8Array; how: string }> {
  const seed = rng.pick(seeds);
  let bytes = seed.bytes;
  let how = '';
  // Structured lies rewrite a bundle's header; raw seeds (Keras files) get byte mutations only.
  if (!seed.raw && rng.chance(0.5)) {
    const { header, sections } = await takeApart(seed.bytes);
    const options: ForgeOptions = seed.signed ? { signature: seed.bytes.slice(64, 128) } : {};
    const h = header as Record<string, any>;
    // Deep lies twice as often: they reach the serializers; topology lies (graphs, growth, states) go deeper still;
    // ptype lies reach the schema and docs code of the server and the CLI.
    const all = [...LIES, ...DEEP_LIES, ...DEEP_LIES, ...TOPOLOGY_LIES, ...PTYPE_LIES];
    const lie = rng.int(all.length);
    const forged = (all[lie] as Lie)(rng, h, sections, options);
    try {
      bytes = forgeBundle(forged, sections, options);
      how = `lie${lie}`;
    } catch {
      how = `lie${lie}-unencodable`;
    }
  }
  if (how === '' || rng.chance(0.2)) {
    const m = rng.int(BYTE_MUTATORS.length);
    bytes = (BYTE_MUTATORS[m] as (typeof BYTE_MUTATORS)[number])(rng, bytes, seeds);
    how = how ? `${how}+bytes${m}` : `bytes${m}`;
  }
  return { seed, bytes, how };
}
