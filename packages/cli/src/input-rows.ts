import { readFile } from 'node:fs/promises';
import { ModelBundleError } from '@modelbundle/core';
import { type JsonSchema, parsePredictRequest } from '@modelbundle/serve';
import { parse as parseCsv } from 'csv-parse/sync';

/** Input formats `predict` reads. */
export type InputFormat = 'json' | 'csv';

/**
 * Reads prediction rows from a JSON file (an array of rows or `{ "instances": [...] }`),
 * a CSV file with a heading row, or stdin (`-`). The format comes from the
 * extension, or for stdin from the first character. CSV cells are typed by
 * the bundle's row schema: numeric columns become numbers, empty cells null.
 */
export async function readInputRows(source: string, schema: JsonSchema, format?: InputFormat): Promise<Record<string, unknown>[]> {
  const text = source === '-' ? await readStdin() : await readFile(source, 'utf8').catch((cause) => Promise.reject(ioError(source, cause)));
  const kind = format ?? guessFormat(source, text);
  if (kind === 'csv') return csvRows(text, schema, source);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new ModelBundleError(
      'INVALID_INPUT',
      `${label(source)} is not valid JSON (${(cause as Error).message}). Give a JSON array of rows, or a .csv file.`,
      { cause },
    );
  }
  return parsePredictRequest(value, undefined, []).rows;
}

function guessFormat(source: string, text: string): InputFormat {
  if (/\.csv$/i.test(source)) return 'csv';
  if (/\.json$/i.test(source)) return 'json';
  const first = text.trimStart()[0];
  return first === '[' || first === '{' ? 'json' : 'csv';
}

function csvRows(text: string, schema: JsonSchema, source: string): Record<string, unknown>[] {
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  let records: Record<string, string>[];
  try {
    records = parseCsv(text, { columns: true, skip_empty_lines: true, trim: true, bom: true });
  } catch (cause) {
    throw new ModelBundleError('INVALID_INPUT', `${label(source)} is not valid CSV (${(cause as Error).message}). The first line must name the columns.`, {
      cause,
    });
  }
  if (records.length === 0) throw new ModelBundleError('INVALID_INPUT', `${label(source)} holds no rows; give a heading line and at least one row.`);
  return records.map((record) => Object.fromEntries(Object.entries(record).map(([name, cell]) => [name, typeCell(cell, properties[name])])));
}

/** Cells are text; the schema says which are numbers. Unknown columns are kept as numbers when they look like one. */
function typeCell(cell: string, schema: JsonSchema | undefined): unknown {
  if (cell === '' || cell === 'NA') return null;
  const types = [schema?.type].flat();
  const numeric = schema ? types.includes('number') || types.includes('integer') : /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(cell);
  if (numeric) {
    const value = Number(cell);
    return Number.isNaN(value) ? cell : value;
  }
  if (types.includes('boolean') && /^(true|false)$/i.test(cell)) return cell.toLowerCase() === 'true';
  return cell;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function ioError(path: string, cause: unknown): ModelBundleError {
  return new ModelBundleError('IO_ERROR', `Could not read the input "${path}": ${(cause as Error).message}. Check the path.`, { cause, details: { path } });
}

function label(source: string): string {
  return source === '-' ? 'The input on stdin' : `The input "${source}"`;
}
