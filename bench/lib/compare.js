import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { pairedRatio, summary } from './stats.js';

setFlagsFromString('--expose-gc');
/** A full GC before each timed run, so one contender's garbage is not collected on another's clock. */
export const gc = globalThis.gc ?? runInNewContext('gc');

/** Just under the 32 MiB cap of glibc's dynamic mmap threshold. */
const SETTLE_BYTES = 31 * 1024 * 1024;
let settled = false;

/**
 * glibc serves an allocation above its mmap threshold with fresh pages (a
 * page fault per 4 KiB when first written) and raises the threshold to the
 * size of each such block freed, up to 32 MiB, so whether a contender's
 * buffers get fresh pages depends on what the contenders before it freed
 * (measured: in a rotation of reads of files a few KB apart, the largest
 * file's read was always the slow one, 4.6 ms against 3.3). One block just
 * under the cap, allocated and freed before the first comparison, lifts
 * the threshold above every buffer below it, for every contender alike.
 */
export function settleAllocator() {
  if (settled) return;
  settled = true;
  Buffer.allocUnsafeSlow(SETTLE_BYTES);
  gc();
}

/**
 * The order of one round: the contenders rotated by the round number, and
 * every other cycle of rotations reversed, so that each contender runs first
 * as often as the others and follows each of the others equally often (what
 * the one before leaves behind, such as freed memory the allocator hands
 * out again, then weighs on no contender more than on another).
 */
export function roundOrder(names, round) {
  const n = names.length;
  const cycle = Math.floor(round / n);
  const list = ((cycle % 2) + 2) % 2 === 0 ? names : [...names].reverse();
  const offset = ((round % n) + n) % n;
  return list.map((_, k) => list[(k + offset) % n]);
}

/**
 * Runs contenders side by side: `warmup` untimed rounds, then `runs` timed
 * rounds; in each round every contender runs once, in the order
 * {@link roundOrder} gives. `after(name, result)` cleans up outside the
 * clock. `calls` runs each contender that many times back to back per timed
 * run (for operations of well under a millisecond, which a GC before every
 * single call would turn into a measure of cold caches); times are per call.
 * Returns per-contender times (ms) and, for each other contender, the
 * paired ratio `first / other` (median, min, max).
 */
export async function compare(contenders, { runs, warmup = 1, after, calls = 1 }) {
  settleAllocator();
  const names = Object.keys(contenders);
  const times = Object.fromEntries(names.map((n) => [n, []]));
  for (let round = -warmup; round < runs; round++) {
    for (const name of roundOrder(names, round)) {
      gc();
      const start = performance.now();
      let result;
      for (let call = 0; call < calls; call++) result = await contenders[name]();
      const ms = (performance.now() - start) / calls;
      if (after) await after(name, result);
      if (round >= 0) times[name].push(ms);
    }
  }
  const [first, ...others] = names;
  return {
    ms: Object.fromEntries(names.map((n) => [n, summary(times[n], calls > 1 ? 4 : 1)])),
    ratio: Object.fromEntries(others.map((n) => [`${first}/${n}`, pairedRatio(times[first], times[n])])),
    runs,
  };
}
