import type { Rng } from './rng.js';

/**
 * Hostile input prototypes for the fuzzer: each replaces a bundle header's
 * `ptype` with one that is nested, huge, mistyped or self-contradictory,
 * within what the header limits let through. The server and the CLI read
 * the ptype with `readPtype` before they build schemas and docs from it.
 */
type Json = any;
type Header = Record<string, Json>;

const HUGE = [2 ** 24 + 1, 2 ** 31 - 1, 2 ** 53 - 1, 1e300, -1, 0.5, Number.NaN];
const NAMES = ['', 'x'.repeat(300), '__proto__', 'constructor', 'a\u001b[2Jb', 'same', 'same'];

function nested(rng: Rng, depth: number): Json {
  let value: Json = rng.pick([1, 'a', null, [], {}]);
  for (let i = 0; i < depth; i++) value = rng.chance(0.5) ? [value] : { shape: value };
  return value;
}

function manyLevels(rng: Rng): string[] {
  return Array.from({ length: rng.pick([10_001, 20_000, 60_000]) }, (_, i) => `level${i}`);
}

export const PTYPE_LIES: ((rng: Rng, header: Header) => Header)[] = [
  // Tensor inputs whose shapes are huge, non-integer, negative, too many or nested.
  (rng, h) => {
    const shape = rng.pick<Json>([
      [null, rng.pick(HUGE)],
      [null, 4096, 4096, 4096],
      Array.from({ length: rng.pick([9, 30]) }, () => 2),
      [null, nested(rng, rng.range(2, 20))],
      'shape',
    ]);
    h.ptype = { inputs: [{ name: rng.pick(NAMES), shape, dtype: rng.pick(['float32', 'x'.repeat(300), 7]) }], outputs: [] };
    return h;
  },
  // Column lists past every bound: too many columns, too many levels, duplicate or hostile names.
  (rng, h) => {
    const count = rng.pick([1, 3, 2_049, 5_000]);
    h.ptype = {
      columns: Array.from({ length: count }, (_, i) => ({
        name: rng.chance(0.2) ? rng.pick(NAMES) : `c${i}`,
        type: rng.pick(['number', 'string', 'tensor', 42, null]),
        // Past-the-limit level lists on the first two columns only: the header's own limits stop anything larger.
        ...(i < 2 && rng.chance(0.5) ? { levels: manyLevels(rng) } : rng.chance(0.2) ? { levels: [rng.pick(NAMES), 7] } : {}),
      })),
      ...(rng.chance(0.3) ? { unseenLevels: rng.pick(['zero', 'error', 'maybe']) } : {}),
    };
    return h;
  },
  // Shapes the schema code could recurse into: nested objects and arrays where names and types belong.
  (rng, h) => {
    h.ptype = rng.pick<Json>([
      nested(rng, rng.range(5, 30)),
      { columns: nested(rng, rng.range(5, 30)) },
      { inputs: [{ name: nested(rng, 5), shape: [null, 2], dtype: 'float32' }] },
      Object.fromEntries(Array.from({ length: rng.pick([10, 3_000]) }, (_, i) => [`col${i}`, rng.pick(['number', 'string', { type: 'x' }])])),
      'ptype',
      [1, 2, 3],
    ]);
    return h;
  },
];
