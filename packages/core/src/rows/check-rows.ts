import { ModelBundleError } from '../errors.js';
import { isRecord } from '../internal/values.js';
import { closestValue } from './closest.js';
import { flattenValue } from './flatten.js';
import {
  type ColumnsPtype,
  isTensorPtype,
  type Ptype,
  type PtypeColumn,
  type PtypeTensor,
  preview,
  type TensorPtype,
  type UnseenLevelPolicy,
} from './ptype.js';

/** How many problems an error lists, and warnings a response carries (the rest are counted). */
const SHOWN = 5;
const WARNINGS_SHOWN = 20;
const LEVELS_SHOWN = 12;
/** Rows are checked until this many problems are found. */
const MAX_PROBLEMS = 10_000;

/** One problem with one value of one row. */
export interface RowProblem {
  row: number;
  column?: string;
  /** A short preview of the value found. */
  value?: string;
  problem: string;
  /** The allowed values (at most a dozen shown). */
  allowed?: string[];
  /** The allowed value closest to the one found ("did you mean"). */
  closest?: string;
}

/** A value that was accepted but changed the prediction: an unseen level encoded as zeros. */
export interface RowWarning {
  code: 'UNSEEN_LEVEL';
  row: number;
  column: string;
  value: string;
  message: string;
}

/** What {@link checkRows} found in rows it accepted. */
export interface RowCheck {
  /** At most 20 warnings; `warningCount` counts them all. */
  warnings: RowWarning[];
  warningCount: number;
}

/** Options of {@link checkRows}. */
export interface CheckRowsOptions {
  /** Unseen levels: `error` (default) refuses the rows, `zero` accepts them with a warning each. */
  unseenLevels?: UnseenLevelPolicy;
}

/**
 * Checks rows against the ptype exactly as its JSON Schema describes them
 * (see the server's /prototype): for a columns ptype, each row is an object
 * with every column, no others (the outcome column is allowed and ignored),
 * values of the column's type, `null` only where the column is nullable,
 * numbers finite and within range, strings one of the levels (or, with
 * `unseenLevels: 'zero'`, any string, with a warning). For a tensor ptype,
 * each row is the input's value (single input) or an object keyed by input
 * name, holding finite numbers in the input's shape (nested, or flat when
 * the shape is fully known). A null ptype accepts any rows.
 *
 * Throws one INVALID_INPUT listing the first problems (each naming row,
 * column, value, allowed values and the closest one) and counting the rest.
 */
export function checkRows(rows: readonly unknown[], ptype: Ptype | null, options: CheckRowsOptions = {}): RowCheck {
  const found: RowProblem[] = [];
  let problemCount = 0;
  const report: Report = (problem) => {
    problemCount++;
    if (found.length < SHOWN) found.push(problem);
  };
  // Problems past the shown ones are only counted: no need to describe them (a "did you mean" costs an edit distance per level).
  report.detailed = () => found.length < SHOWN;
  const check: RowCheck = { warnings: [], warningCount: 0 };
  if (ptype === null) return check;
  const policy = options.unseenLevels ?? 'error';
  for (let r = 0; r < rows.length && problemCount <= MAX_PROBLEMS; r++) {
    if (isTensorPtype(ptype)) checkTensorRow(rows[r], r, ptype, report);
    else checkColumnsRow(rows[r], r, ptype, policy, report, check);
  }
  if (problemCount > 0) throw rowsError(found, problemCount, ptype);
  return check;
}

type Report = ((problem: RowProblem) => void) & { detailed?: () => boolean };

function checkColumnsRow(row: unknown, r: number, ptype: ColumnsPtype, policy: UnseenLevelPolicy, report: Report, check: RowCheck): void {
  if (!isRecord(row)) {
    report({ row: r, value: preview(row), problem: `is ${preview(row)}; expected an object of column values` });
    return;
  }
  for (const column of ptype.columns) {
    if (!Object.hasOwn(row, column.name)) {
      report({ row: r, column: column.name, problem: `is missing${column.nullable ? ' (send null for a missing value)' : ''}` });
      continue;
    }
    checkValue(row[column.name], r, column, policy, report, check);
  }
  const names = columnNames(ptype);
  for (const key of Object.keys(row)) {
    if (names.has(key)) continue;
    const closest = report.detailed?.() === false ? undefined : closestValue(key, [...names]);
    report({ row: r, column: shorten(key), problem: 'is not a column of this model', ...(closest === undefined ? {} : { closest }) });
  }
}

/** The keys a row may hold: the columns and the outcome; built once per ptype. */
const namesOf = new WeakMap<ColumnsPtype, Set<string>>();
function columnNames(ptype: ColumnsPtype): Set<string> {
  let names = namesOf.get(ptype);
  if (!names) {
    names = new Set(ptype.columns.map((c) => c.name));
    if (ptype.outcome) names.add(ptype.outcome.name);
    namesOf.set(ptype, names);
  }
  return names;
}

function checkValue(value: unknown, r: number, column: PtypeColumn, policy: UnseenLevelPolicy, report: Report, check: RowCheck): void {
  const at = { row: r, column: shorten(column.name), value: preview(value) };
  if (value === null) {
    if (!column.nullable) report({ ...at, problem: `is null, but the column does not allow missing values; send a ${column.type}` });
    return;
  }
  switch (column.type) {
    case 'any':
      return;
    case 'number':
    case 'integer':
      if (typeof value !== 'number' || !Number.isFinite(value)) report({ ...at, problem: `is ${describeValue(value)}; expected a ${column.type}` });
      else if (column.type === 'integer' && !Number.isInteger(value)) report({ ...at, problem: 'is not a whole number; expected an integer' });
      else if (column.minimum !== undefined && value < column.minimum) report({ ...at, problem: `is below the minimum ${column.minimum}` });
      else if (column.maximum !== undefined && value > column.maximum) report({ ...at, problem: `is above the maximum ${column.maximum}` });
      return;
    case 'boolean':
      if (typeof value !== 'boolean') report({ ...at, problem: `is ${describeValue(value)}; expected true or false` });
      return;
    case 'string': {
      if (typeof value !== 'string') {
        report({ ...at, problem: `is ${describeValue(value)}; expected a string` });
        return;
      }
      const levels = column.levels;
      if (!levels || levels.includes(value)) return;
      if (policy === 'error' && report.detailed?.() === false) {
        report({ row: r, problem: 'is not one of the allowed values' });
        return;
      }
      if (policy === 'zero' && check.warnings.length >= WARNINGS_SHOWN) {
        check.warningCount++;
        return;
      }
      const closest = closestValue(value, levels);
      const hint = closest === undefined ? '' : `; did you mean "${shorten(closest)}"?`;
      const allowed = levels.slice(0, LEVELS_SHOWN).map(shorten);
      const listed = `[${allowed.join(', ')}${levels.length > LEVELS_SHOWN ? `, and ${levels.length - LEVELS_SHOWN} more` : ''}]`;
      if (policy === 'error') {
        report({ ...at, problem: `is not one of the allowed values ${listed}${hint}`, allowed, ...(closest === undefined ? {} : { closest }) });
        return;
      }
      check.warningCount++;
      if (check.warnings.length < WARNINGS_SHOWN) {
        check.warnings.push({
          code: 'UNSEEN_LEVEL',
          row: r,
          column: column.name,
          value: at.value,
          message: `Row ${r}, column "${column.name}": ${at.value} is not one of ${listed}${hint}; it was encoded as all zeros, which changes the prediction.`,
        });
      }
    }
  }
}

function checkTensorRow(row: unknown, r: number, ptype: TensorPtype, report: Report): void {
  const single = ptype.inputs.length === 1 ? ptype.inputs[0] : undefined;
  if (single && (Array.isArray(row) || typeof row === 'number')) {
    checkTensor(row, r, single, report);
    return;
  }
  if (!isRecord(row)) {
    const expected = single ? 'a list of numbers, or an object keyed by input name' : `an object keyed by input name (${ptype.inputs.length} inputs)`;
    report({ row: r, value: preview(row), problem: `is ${preview(row)}; expected ${expected}` });
    return;
  }
  for (const input of ptype.inputs) {
    if (!Object.hasOwn(row, input.name)) report({ row: r, column: input.name, problem: 'is missing' });
    else checkTensor(row[input.name], r, input, report);
  }
  const names = new Set(ptype.inputs.map((i) => i.name));
  for (const key of Object.keys(row)) {
    if (names.has(key)) continue;
    const closest = report.detailed?.() === false ? undefined : closestValue(key, [...names]);
    report({ row: r, column: shorten(key), problem: 'is not an input of this model', ...(closest === undefined ? {} : { closest }) });
  }
}

function checkTensor(value: unknown, r: number, input: PtypeTensor, report: Report): void {
  const dims = (input.shape ?? [null]).slice(1);
  const at = { row: r, column: input.name };
  let flat: unknown[];
  let shape: number[];
  try {
    ({ flat, shape } = flattenValue(value, `Row ${r}, input "${input.name}"`, Math.max(dims.length, 1) + 1));
  } catch (error) {
    report({ ...at, problem: (error as Error).message.replace(/^Row \d+, input "[^"]*" /, '') });
    return;
  }
  const matches = shape.length === dims.length && dims.every((d, i) => d === null || d === shape[i]);
  const size = dims.every((d) => d !== null) ? dims.reduce<number>((a, d) => a * (d as number), 1) : undefined;
  if (!matches && !(size !== undefined && shape.length === 1 && flat.length === size)) {
    const expected = `[${dims.map((d) => d ?? 'any').join(', ')}]${size !== undefined ? ` or a flat list of ${size} numbers` : ''}`;
    report({ ...at, problem: `has shape [${shape.join(', ')}]; expected ${expected}` });
    return;
  }
  const integer = /^u?int/.test(input.dtype);
  const bad = flat.findIndex((v) => typeof v !== 'number' || !Number.isFinite(v) || (integer && !Number.isInteger(v)));
  if (bad >= 0) report({ ...at, value: preview(flat[bad]), problem: `holds ${preview(flat[bad])}; expected ${integer ? 'integers' : 'finite numbers'}` });
}

function rowsError(found: RowProblem[], count: number, ptype: Ptype): ModelBundleError {
  const lines = found.map(
    (p) =>
      `row ${p.row}${p.column === undefined ? '' : `, ${isTensorPtype(ptype) ? 'input' : 'column'} "${p.column.slice(0, 64)}"`}${p.value !== undefined && !p.problem.includes(p.value) ? ` (${p.value})` : ''} ${p.problem.replace(/\.$/, '')}`,
  );
  // Checking stops after 10,000 problems: past that, the count is a lower bound.
  const more =
    count > found.length ? `; and ${count > MAX_PROBLEMS ? 'at least ' : ''}${count - found.length} more problem${count - found.length === 1 ? '' : 's'}` : '';
  return new ModelBundleError(
    'INVALID_INPUT',
    `The rows do not match the model's input prototype: ${lines.join('; ')}${more}. ${expectation(ptype)} GET /prototype (or \`modelbundle inspect\`) shows the prototype.`,
    { details: { problems: found, problemCount: count } },
  );
}

function expectation(ptype: Ptype): string {
  if (isTensorPtype(ptype)) {
    const shown = ptype.inputs.slice(0, SHOWN).map(
      (i) =>
        `${i.name}: ${i.dtype}[${(i.shape ?? [null])
          .slice(1)
          .map((d) => d ?? 'any')
          .join(', ')}]`,
    );
    return `Expected inputs { ${shown.join(', ')}${ptype.inputs.length > SHOWN ? ', ...' : ''} }.`;
  }
  const shown = ptype.columns.slice(0, 8).map((c) => `${c.name.slice(0, 64)}: ${c.type}${c.nullable ? ' | null' : ''}`);
  return `Expected columns { ${shown.join(', ')}${ptype.columns.length > 8 ? `, and ${ptype.columns.length - 8} more` : ''} }.`;
}

/** Names and levels may be 256 characters long; messages show at most 40 of each. */
function shorten(text: string): string {
  return text.length > 40 ? `${text.slice(0, 39)}…` : text;
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return `the string ${preview(value)}`;
  if (typeof value === 'number') return String(value);
  return preview(value);
}
