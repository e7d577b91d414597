import { ModelBundleError } from '@modelbundle/core';
import { describeValue as describe, escapeControl, listSome, preview } from '@modelbundle/core/internal';
import { assertRows } from './learn.js';
import type { Ptype, UnseenLevelPolicy } from './types.js';

/** Examples a message or its details shows of each kind of problem; the rest are counted. */
const SHOWN = 5;
/** Columns a message lists (of the expected ones, and per kind of problem). */
const SHOWN_COLUMNS = 20;
/** Levels a message quotes of a column's known levels. */
const SHOWN_LEVELS = 10;

/** One kind of problem, by column: the first rows it was seen in, and how many in all. */
class ByColumn {
  readonly first = new Map<string, number[]>();
  readonly counts = new Map<string, number>();
  cells = 0;

  note(column: string, row: number): void {
    this.cells++;
    const count = this.counts.get(column);
    if (count === undefined) {
      // Past the shown columns, only the number of columns is kept (60,000 extra columns cost a counter each, no list).
      if (this.first.size < SHOWN_COLUMNS) this.first.set(column, [row]);
      this.counts.set(column, 1);
      return;
    }
    this.counts.set(column, count + 1);
    const rows = this.first.get(column);
    if (rows && rows.length < SHOWN) rows.push(row);
  }

  /** `"name" (row 3)` or `"name" (12 rows, first 3)`, for the shown columns, then "and N more columns". */
  describe(): string {
    const shown = [...this.first].map(([name, rows]) => {
      const n = this.counts.get(name) as number;
      return `${preview(name)} (${n === 1 ? `row ${rows[0]}` : `${n} rows, first ${rows[0]}`})`;
    });
    const more = this.counts.size - shown.length;
    return more > 0 ? `${shown.join(', ')} and ${more} more columns` : shown.join(', ');
  }
}

/** Examples of one kind of problem: the first few messages, and how many in all. */
class Examples {
  readonly shown: string[] = [];
  count = 0;

  /** `make` runs only for the examples that are shown: a preview costs nothing for the rest. */
  note(make: () => string): void {
    this.count++;
    if (this.shown.length < SHOWN) this.shown.push(make());
  }

  describe(): string {
    return this.count > this.shown.length ? `${this.shown.join('; ')}; and ${this.count - this.shown.length} more` : this.shown.join('; ');
  }
}

/**
 * Checks rows against the input prototype and throws one INVALID_INPUT that
 * lists every kind of problem: missing, extra and mistyped columns, NaN or
 * infinite numbers, and (when the policy is `error`) levels unseen at fit time.
 * `null` or `undefined` values are missing values and pass. The outcome column may be present; it is ignored.
 * The check is linear in the cells, and its message and details are bounded whatever the rows
 * hold: a few example rows per problem, values quoted as short previews, counts for the rest.
 */
export function checkRows(ptype: Ptype, rows: unknown, unseenLevels: UnseenLevelPolicy): asserts rows is Record<string, unknown>[] {
  assertRows(rows, 'predict');
  const known = new Set([...ptype.columns.map((c) => c.name), ptype.outcome.name]);
  // One Set per column, built once: looking a level up in the list for every row was rows x levels.
  const levels = new Map(ptype.columns.filter((c) => c.levels).map((c) => [c.name, new Set(c.levels)]));
  const missing = new ByColumn();
  const extra = new ByColumn();
  const mistyped = new Examples();
  const notFinite = new Examples();
  const unseen = new Examples();
  for (const [i, row] of rows.entries()) {
    for (const key of Object.keys(row)) if (!known.has(key)) extra.note(key, i);
    for (const column of ptype.columns) {
      if (!Object.hasOwn(row, column.name)) {
        missing.note(column.name, i);
        continue;
      }
      const v = row[column.name];
      if (v === null || v === undefined) continue;
      if (typeof v !== column.type) mistyped.note(() => `${preview(column.name)} in row ${i} is ${describe(v)} (${preview(v)}), expected a ${column.type}`);
      else if (typeof v === 'number' && !Number.isFinite(v)) notFinite.note(() => `${preview(column.name)} in row ${i} is ${v}`);
      else if (unseenLevels === 'error' && column.levels && !(levels.get(column.name) as Set<unknown>).has(v)) {
        unseen.note(() => `${preview(column.name)} in row ${i} is ${preview(v)}, not one of ${someLevels(column.levels as string[])}`);
      }
    }
  }
  const parts: string[] = [];
  if (missing.cells > 0) parts.push(`missing columns: ${missing.describe()}`);
  if (extra.cells > 0) parts.push(`extra columns: ${extra.describe()}`);
  if (mistyped.count > 0) parts.push(`wrong types: ${mistyped.describe()}`);
  if (notFinite.count > 0) parts.push(`not finite (use null for a missing value): ${notFinite.describe()}`);
  if (unseen.count > 0) parts.push(`levels unseen at fit time: ${unseen.describe()}`);
  if (parts.length === 0) return;
  const columns = ptype.columns.map((c) => `${preview(c.name)}: ${c.type}`);
  const expected = listSome(columns, SHOWN_COLUMNS);
  throw new ModelBundleError(
    'INVALID_INPUT',
    `The rows do not match the workflow's input prototype. ${parts.join('. ')}. Expected columns { ${expected} } (null for a missing value). Fix the rows and call predict again.`,
    {
      details: {
        missing: Object.fromEntries(missing.first),
        extra: Object.fromEntries(extra.first),
        mistyped: mistyped.shown,
        notFinite: notFinite.shown,
        unseen: unseen.shown,
        counts: { missing: missing.cells, extra: extra.cells, mistyped: mistyped.count, notFinite: notFinite.count, unseen: unseen.count },
        columns: { missing: missing.counts.size, extra: extra.counts.size },
      },
    },
  );
}

/** `[a, b, c]`, or the first {@link SHOWN_LEVELS} and how many in all. */
function someLevels(levels: readonly string[]): string {
  const shown = levels.slice(0, SHOWN_LEVELS).map((l) => (l.length > 40 ? `${escapeControl(l.slice(0, 40))}…` : escapeControl(l)));
  return levels.length > SHOWN_LEVELS ? `[${shown.join(', ')}, ... (${levels.length} levels)]` : `[${shown.join(', ')}]`;
}
