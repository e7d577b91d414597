import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { pairedRatio, summary } from './stats.js';

setFlagsFromString('--expose-gc');
/** A full GC before each timed run, so one contender's garbage is not collected on another's clock. */
export const gc = globalThis.gc ?? runInNewContext('gc');

/**
 * Runs contenders side by side: `warmup` untimed rounds, then `runs` timed
 * rounds; in each round every contender runs once, in an order that rotates
 * from round to round. `after(name, result)` cleans up outside the clock.
 * Returns per-contender times (ms) and, for each other contender, the
 * paired ratio `first / other` (median, min, max).
 */
export async function compare(contenders, { runs, warmup = 1, after }) {
  const names = Object.keys(contenders);
  const times = Object.fromEntries(names.map((n) => [n, []]));
  for (let round = -warmup; round < runs; round++) {
    const offset = ((round % names.length) + names.length) % names.length;
    for (let k = 0; k < names.length; k++) {
      const name = names[(k + offset) % names.length];
      gc();
      const start = performance.now();
      const result = await contenders[name]();
      const ms = performance.now() - start;
      if (after) await after(name, result);
      if (round >= 0) times[name].push(ms);
    }
  }
  const [first, ...others] = names;
  return {
    ms: Object.fromEntries(names.map((n) => [n, summary(times[n], 1)])),
    ratio: Object.fromEntries(others.map((n) => [`${first}/${n}`, pairedRatio(times[first], times[n])])),
    runs,
  };
}
