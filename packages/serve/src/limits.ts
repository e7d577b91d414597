import { isTensorPtype, type Ptype, type PtypeColumn } from '@modelbundle/core';
import { DEFAULT_BODY_LIMIT, DEFAULT_MAX_ROWS } from './options.js';

/** The largest body limit the server derives by itself (a larger one must be set explicitly): 64 MiB. */
export const MAX_DERIVED_BODY_LIMIT = 64 * 1024 * 1024;

/** Widest JSON of one number (`-1.2345678901234567e-308`), of a string of unknown length, and slack for whitespace. */
const NUMBER_CHARS = 24;
const FREE_STRING_CHARS = 256;
const WHITESPACE = 1.25;

/**
 * The bytes of the widest JSON row the ptype allows (object form; numbers at
 * their longest, strings at their longest level, escaped; 256 characters
 * for a string without levels), or undefined when it has no bound (no ptype,
 * or a tensor dimension of any size).
 */
export function widestRowBytes(ptype: Ptype | null): number | undefined {
  if (ptype === null) return undefined;
  let bytes = 2;
  if (isTensorPtype(ptype)) {
    for (const input of ptype.inputs) {
      const dims = (input.shape ?? [null]).slice(1);
      if (dims.some((d) => d === null)) return undefined;
      const values = (dims as number[]).reduce((a, d) => a * d, 1);
      // Each value and its comma, plus two brackets per nested list.
      const lists = (dims as number[]).reduce((acc, _d, i, all) => acc + all.slice(0, i).reduce((a, x) => a * x, 1), 0) || 0;
      bytes += keyBytes(input.name) + values * (NUMBER_CHARS + 1) + lists * 2;
    }
    return bytes;
  }
  for (const column of ptype.columns) bytes += keyBytes(column.name) + valueBytes(column);
  if (ptype.outcome) bytes += keyBytes(ptype.outcome.name) + Math.max(NUMBER_CHARS, ...(ptype.outcome.levels ?? []).map((l) => l.length * 6 + 2));
  return bytes;
}

/**
 * Consistent defaults for the row and body limits: `maxRows` rows of the
 * widest row must fit in the body limit. The body limit is derived from
 * the ptype (at least 1 MiB, at most 64 MiB); when `maxRows` rows of a wide
 * tensor model would pass 64 MiB, the default row limit is lowered instead.
 * Explicit settings are kept as given.
 */
export function requestLimits(
  ptype: Ptype | null,
  options: { bodyLimit?: number | undefined; maxRows?: number | undefined },
): { bodyLimit: number; maxRows: number } {
  const widest = widestRowBytes(ptype);
  const rowsWanted = options.maxRows ?? DEFAULT_MAX_ROWS;
  if (options.bodyLimit !== undefined) return { bodyLimit: options.bodyLimit, maxRows: rowsWanted };
  if (widest === undefined) return { bodyLimit: DEFAULT_BODY_LIMIT, maxRows: rowsWanted };
  const perRow = Math.ceil((widest + 1) * WHITESPACE);
  const maxRows = options.maxRows ?? Math.max(1, Math.min(rowsWanted, Math.floor((MAX_DERIVED_BODY_LIMIT - 1024) / perRow)));
  const bodyLimit = Math.max(DEFAULT_BODY_LIMIT, Math.min(MAX_DERIVED_BODY_LIMIT, maxRows * perRow + 1024));
  return { bodyLimit, maxRows };
}

function keyBytes(name: string): number {
  // "name": and a comma; every character escaped at worst (\u0000 is 6 bytes).
  return name.length * 6 + 4;
}

function valueBytes(column: PtypeColumn): number {
  switch (column.type) {
    case 'number':
    case 'integer':
      return NUMBER_CHARS;
    case 'boolean':
      return 5;
    case 'string':
      return column.levels && column.levels.length > 0 ? Math.max(4, ...column.levels.map((l) => l.length * 6 + 2)) : FREE_STRING_CHARS * 6 + 2;
    default:
      return FREE_STRING_CHARS * 6 + 2;
  }
}
