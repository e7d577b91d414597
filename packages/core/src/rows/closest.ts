/**
 * The allowed value closest to `value`, for "did you mean" hints: an exact
 * match ignoring case and surrounding spaces first, else the smallest edit
 * distance if it is at most a third of the value's length. Undefined when
 * nothing is close. Bounded: long strings and long lists are cut short.
 */
export function closestValue(value: string, allowed: readonly string[]): string | undefined {
  const wanted = value.trim().toLowerCase().slice(0, 64);
  const candidates = allowed.slice(0, 2_000);
  const sameCase = candidates.find((level) => level.trim().toLowerCase() === wanted);
  if (sameCase !== undefined) return sameCase;
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(wanted.length / 3)) + 1;
  for (const level of candidates) {
    const distance = editDistance(wanted, level.toLowerCase().slice(0, 64));
    if (distance < bestDistance) {
      best = level;
      bestDistance = distance;
    }
  }
  return best;
}

/** Levenshtein distance, two rows of memory. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
