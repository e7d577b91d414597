import { ModelBundleError } from '../errors.js';
import { isRecord } from '../internal/values.js';
import { parseCsv } from './csv.js';
import { isTensorPtype, type Ptype, preview } from './ptype.js';

/** How a request body gave its rows. */
export type RowsFormat = 'rows' | 'instances' | 'inputs' | 'dataframe_split' | 'dataframe_records' | 'csv';

/** The rows of one predict request and, when the body names one, the prediction type. */
export interface RowsRequest {
  rows: unknown[];
  type?: string;
  format: RowsFormat;
}

/** Options of {@link parseRequestRows}. */
export interface ParseRowsOptions {
  /** Most rows accepted; more is LIMIT_EXCEEDED (default: no limit). */
  maxRows?: number;
}

/** Keys a JSON object body may hold besides the one that carries the rows. */
const EXTRA_KEYS = new Set(['type', 'params']);
const ROW_KEYS = ['instances', 'inputs', 'dataframe_split', 'dataframe_records'] as const;

/**
 * Reads the rows of a predict request, whichever common format it uses:
 * - a JSON array of rows: objects of columns, or (tensor models) each input's value;
 * - `{ "instances": [...] }` (TensorFlow Serving's row format, vetiver);
 * - `{ "inputs": [...] }` rows, or `{ "inputs": { name: [one value per row] } }` columns (TF Serving, MLflow);
 * - `{ "dataframe_split": { "columns": [...], "data": [[...]] } }` and `{ "dataframe_records": [...] }` (MLflow);
 * - CSV text with a heading row (see {@link csvRows}).
 * An object body may also carry `"type"` (the prediction type). Anything
 * else is INVALID_INPUT naming what was found; no rows is INVALID_INPUT;
 * more than `maxRows` is LIMIT_EXCEEDED. Rows are not checked against the
 * ptype here: {@link checkRows} does that.
 */
export function parseRequestRows(body: unknown, options: ParseRowsOptions = {}): RowsRequest {
  const request = readBody(body);
  limitRows(request.rows.length, options.maxRows);
  return request;
}

/** Parses request text: CSV when `format` is `csv`, JSON otherwise; then as {@link parseRequestRows}. */
export function parseRequestText(text: string, format: 'json' | 'csv', ptype: Ptype | null, options: ParseRowsOptions = {}): RowsRequest {
  if (format === 'csv') {
    const rows = csvRows(text, ptype);
    limitRows(rows.length, options.maxRows);
    return { rows, format: 'csv' };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new ModelBundleError('INVALID_INPUT', `The rows are not valid JSON (${(cause as Error).message.slice(0, 120)}). Send a JSON array of rows, or CSV.`, {
      cause,
    });
  }
  return parseRequestRows(value, options);
}

/**
 * Rows from CSV text whose first line names the columns. Cells are typed by
 * the ptype: number and integer columns become numbers, boolean columns
 * true/false, an empty cell or `NA` is null. Without a ptype, cells that look
 * like numbers become numbers. For a single-input tensor model each line is
 * one row of numbers (the heading line names positions and is skipped).
 */
export function csvRows(text: string, ptype: Ptype | null): unknown[] {
  const records = parseCsv(text);
  if (records.length < 2)
    throw new ModelBundleError('INVALID_INPUT', 'The CSV holds no rows; give a heading line that names the columns, then one line per row.');
  const [heading, ...lines] = records as [string[], ...string[][]];
  const names = heading.map((name) => name.trim());
  lines.forEach((line, i) => {
    if (line.length !== names.length) {
      throw new ModelBundleError(
        'INVALID_INPUT',
        `CSV line ${i + 2} has ${line.length} cells; the heading has ${names.length}. Every line needs one cell per column.`,
      );
    }
  });
  if (ptype && isTensorPtype(ptype) && ptype.inputs.length === 1 && !names.includes(ptype.inputs[0]!.name)) {
    return lines.map((line) => line.map((cell) => numberCell(cell.trim())));
  }
  const types = new Map<string, string>();
  if (ptype && !isTensorPtype(ptype)) for (const column of ptype.columns) types.set(column.name, column.type);
  return lines.map((line) => Object.fromEntries(names.map((name, c) => [name, typeCell(line[c]!.trim(), ptype ? types.get(name) : undefined)])));
}

function readBody(body: unknown): RowsRequest {
  if (Array.isArray(body)) return { rows: body, format: 'rows' };
  if (!isRecord(body)) {
    throw new ModelBundleError('INVALID_INPUT', `The request body is ${describeBody(body)}; expected rows. ${FORMATS_HINT}`);
  }
  const keys = Object.keys(body);
  const rowKeys = ROW_KEYS.filter((key) => key in body);
  const unknown = keys.filter((key) => !EXTRA_KEYS.has(key) && !(ROW_KEYS as readonly string[]).includes(key));
  if (rowKeys.length !== 1 || unknown.length > 0) {
    const found =
      keys
        .slice(0, 5)
        .map((key) => preview(key))
        .join(', ') + (keys.length > 5 ? `, and ${keys.length - 5} more` : '');
    throw new ModelBundleError(
      'INVALID_INPUT',
      `The request body is an object with keys [${found}]; expected exactly one of ${ROW_KEYS.join(', ')} (and optionally "type"). ${FORMATS_HINT}`,
      { details: { keys: keys.slice(0, 5) } },
    );
  }
  const key = rowKeys[0]!;
  const rows = rowsOf(key, body[key]);
  const type = body.type;
  if (type !== undefined && typeof type !== 'string')
    throw new ModelBundleError('INVALID_ARGUMENT', `"type" is ${preview(type)}; expected a prediction type name.`);
  return type === undefined ? { rows, format: key } : { rows, format: key, type };
}

function rowsOf(key: (typeof ROW_KEYS)[number], value: unknown): unknown[] {
  if (key === 'instances' || key === 'dataframe_records') {
    if (!Array.isArray(value)) throw new ModelBundleError('INVALID_INPUT', `"${key}" is ${describeBody(value)}; expected a list of rows.`);
    return value;
  }
  if (key === 'inputs') {
    if (Array.isArray(value)) return value;
    if (isRecord(value)) return columnarRows(value);
    throw new ModelBundleError('INVALID_INPUT', `"inputs" is ${describeBody(value)}; expected a list of rows or an object of input name to one value per row.`);
  }
  return splitRows(value);
}

/** `{ name: [value per row] }`: one row per index; every list must have the same length. */
function columnarRows(columns: Record<string, unknown>): unknown[] {
  const names = Object.keys(columns);
  if (names.length === 0) throw new ModelBundleError('INVALID_INPUT', '"inputs" is an empty object; give one list of values per input or column.');
  let count: number | undefined;
  for (const name of names) {
    const list = columns[name];
    if (!Array.isArray(list) || (count !== undefined && list.length !== count)) {
      throw new ModelBundleError(
        'INVALID_INPUT',
        `"inputs.${name.slice(0, 40)}" is ${Array.isArray(list) ? `a list of ${list.length} values, but the first has ${count}` : describeBody(list)}; columnar "inputs" need one equally long list per input.`,
      );
    }
    count = list.length;
  }
  const rows = Array.from({ length: count ?? 0 }, (_, i) => Object.fromEntries(names.map((name) => [name, (columns[name] as unknown[])[i]])));
  return rows;
}

/** MLflow's pandas "split" orientation. */
function splitRows(value: unknown): unknown[] {
  if (!isRecord(value) || !Array.isArray(value.columns) || !Array.isArray(value.data)) {
    throw new ModelBundleError(
      'INVALID_INPUT',
      `"dataframe_split" is ${describeBody(value)}; expected { "columns": [names], "data": [[one value per column], ...] }.`,
    );
  }
  const columns = value.columns;
  const bad = columns.findIndex((name) => typeof name !== 'string');
  if (bad >= 0) throw new ModelBundleError('INVALID_INPUT', `"dataframe_split.columns[${bad}]" is ${preview(columns[bad])}; column names are strings.`);
  return value.data.map((line, i) => {
    if (!Array.isArray(line) || line.length !== columns.length) {
      throw new ModelBundleError(
        'INVALID_INPUT',
        `"dataframe_split.data[${i}]" is ${describeBody(line)}; expected a list of ${columns.length} values, one per column.`,
        { details: { row: i } },
      );
    }
    return Object.fromEntries(columns.map((name, c) => [name as string, line[c]]));
  });
}

function limitRows(count: number, maxRows = Number.POSITIVE_INFINITY): void {
  if (count === 0) throw new ModelBundleError('INVALID_INPUT', 'The request holds no rows; send at least one row to predict.');
  if (count > maxRows) {
    throw new ModelBundleError(
      'LIMIT_EXCEEDED',
      `The request holds ${count} rows; the limit is ${maxRows} per request. Split the rows over several requests, or start the server with a larger row limit.`,
      { details: { rows: count, maxRows } },
    );
  }
}

function typeCell(cell: string, type: string | undefined): unknown {
  if (cell === '' || cell === 'NA') return null;
  if (type === 'number' || type === 'integer' || (type === undefined && NUMBER.test(cell))) return numberCell(cell);
  if (type === 'boolean' && /^(true|false)$/i.test(cell)) return cell.toLowerCase() === 'true';
  return cell;
}

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** A numeric cell as a number; text that is no number stays text, so the row check names it. */
function numberCell(cell: string): unknown {
  if (cell === '' || cell === 'NA') return null;
  return NUMBER.test(cell) ? Number(cell) : cell;
}

function describeBody(value: unknown): string {
  if (value === undefined) return 'empty';
  if (isRecord(value)) return 'an object';
  return typeof value === 'string' ? `a string (${preview(value)})` : preview(value);
}

const FORMATS_HINT =
  'Send a JSON array of rows ([{"column": 1}]), {"instances": [...]}, {"inputs": ...}, {"dataframe_split": {"columns": [...], "data": [[...]]}}, {"dataframe_records": [...]}, or CSV with a heading line.';
