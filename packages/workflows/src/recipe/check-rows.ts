import { ModelBundleError } from '@modelbundle/core';
import { describeValue as describe } from '@modelbundle/core/internal';
import { assertRows } from './learn.js';
import type { Ptype, UnseenLevelPolicy } from './types.js';

const SHOWN = 5;

/**
 * Checks rows against the input prototype and throws one INVALID_INPUT that
 * lists every kind of problem: missing, extra and mistyped columns, NaN or
 * infinite numbers, and (when the policy is `error`) levels unseen at fit time.
 * `null` or `undefined` values are missing values and pass. The outcome column may be present; it is ignored.
 */
export function checkRows(ptype: Ptype, rows: unknown, unseenLevels: UnseenLevelPolicy): asserts rows is Record<string, unknown>[] {
  assertRows(rows, 'predict');
  const known = new Set([...ptype.columns.map((c) => c.name), ptype.outcome.name]);
  const missing = new Map<string, number[]>();
  const extra = new Map<string, number[]>();
  const mistyped: string[] = [];
  const notFinite: string[] = [];
  const unseen: string[] = [];
  // Appends in place: copying the list for every row made checking a large request quadratic.
  const note = (map: Map<string, number[]>, key: string, row: number) => {
    const list = map.get(key);
    if (list) list.push(row);
    else map.set(key, [row]);
  };
  for (const [i, row] of rows.entries()) {
    for (const key of Object.keys(row)) if (!known.has(key)) note(extra, key, i);
    for (const column of ptype.columns) {
      if (!Object.hasOwn(row, column.name)) {
        note(missing, column.name, i);
        continue;
      }
      const v = row[column.name];
      if (v === null || v === undefined) continue;
      if (typeof v !== column.type) mistyped.push(`"${column.name}" in row ${i} is ${describe(v)} (${preview(v)}), expected a ${column.type}`);
      else if (typeof v === 'number' && !Number.isFinite(v)) notFinite.push(`"${column.name}" in row ${i} is ${v}`);
      else if (unseenLevels === 'error' && column.levels && !column.levels.includes(v as string)) {
        unseen.push(`"${column.name}" in row ${i} is ${preview(v)}, not one of [${column.levels.join(', ')}]`);
      }
    }
  }
  const parts: string[] = [];
  if (missing.size > 0) parts.push(`missing columns: ${listColumns(missing)}`);
  if (extra.size > 0) parts.push(`extra columns: ${listColumns(extra)}`);
  if (mistyped.length > 0) parts.push(`wrong types: ${listSome(mistyped)}`);
  if (notFinite.length > 0) parts.push(`not finite (use null for a missing value): ${listSome(notFinite)}`);
  if (unseen.length > 0) parts.push(`levels unseen at fit time: ${listSome(unseen)}`);
  if (parts.length === 0) return;
  const expected = ptype.columns.map((c) => `${c.name}: ${c.type}`).join(', ');
  throw new ModelBundleError(
    'INVALID_INPUT',
    `The rows do not match the workflow's input prototype. ${parts.join('. ')}. Expected columns { ${expected} } (null for a missing value). Fix the rows and call predict again.`,
    {
      details: {
        missing: Object.fromEntries(missing),
        extra: Object.fromEntries(extra),
        mistyped,
        notFinite,
        unseen,
      },
    },
  );
}

/** The value as short JSON; never throws (a deeply nested value overflows JSON.stringify's stack). */
function preview(value: unknown): string {
  let json: string;
  try {
    json = JSON.stringify(value);
  } catch {
    return 'nested too deeply to show';
  }
  return json.length > 80 ? `${json.slice(0, 80)}…` : json;
}

function listColumns(map: Map<string, number[]>): string {
  return [...map].map(([name, rows]) => `"${name}" (${rows.length === 1 ? `row ${rows[0]}` : `${rows.length} rows, first ${rows[0]}`})`).join(', ');
}

function listSome(items: string[]): string {
  return items.length <= SHOWN ? items.join('; ') : `${items.slice(0, SHOWN).join('; ')}; and ${items.length - SHOWN} more`;
}
