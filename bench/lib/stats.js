/** Median of a list of numbers. */
export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Percentile (nearest rank) of a list of numbers. */
export function percentile(values, p) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

/** { median, min, max } of a list, rounded for the record. */
export function summary(values, digits = 3) {
  const r = (x) => Number(x.toFixed(digits));
  return { median: r(median(values)), min: r(Math.min(...values)), max: r(Math.max(...values)) };
}

/**
 * Paired ratios a[i]/b[i] of runs measured side by side (same iteration, so
 * a burst of machine noise hits both), summarised as median/min/max.
 */
export function pairedRatio(a, b) {
  return summary(a.map((x, i) => x / b[i]));
}
