import { ModelBundleError } from '@modelbundle/core';

/** The rows and prediction type of one predict request. */
export interface PredictRequest {
  rows: Record<string, unknown>[];
  type?: string;
}

/**
 * Reads a predict request body: a JSON array of rows, or
 * `{ "instances": [...], "type"?: "..." }`. The `type` query parameter wins
 * over the body's. Anything else is INVALID_INPUT naming what was found;
 * more than `maxRows` rows is LIMIT_EXCEEDED.
 */
export function parsePredictRequest(body: unknown, queryType: unknown, types: readonly string[], maxRows = Number.POSITIVE_INFINITY): PredictRequest {
  const envelope = isPlainObject(body) ? body : undefined;
  const rows = Array.isArray(body) ? body : envelope?.instances;
  if (!Array.isArray(rows)) {
    throw new ModelBundleError(
      'INVALID_INPUT',
      `The request body is ${describe(body)}; expected a JSON array of rows or an object { "instances": [ ... ] }. Send e.g. [{"column": 1}].`,
    );
  }
  if (rows.length === 0) throw new ModelBundleError('INVALID_INPUT', 'The request holds no rows; send at least one row to predict.');
  if (rows.length > maxRows) {
    throw new ModelBundleError(
      'LIMIT_EXCEEDED',
      `The request holds ${rows.length} rows; the limit is ${maxRows} per request. Split the rows over several requests, or start the server with a larger row limit.`,
      { details: { rows: rows.length, maxRows } },
    );
  }
  rows.forEach((row, i) => {
    if (!isPlainObject(row)) {
      throw new ModelBundleError('INVALID_INPUT', `Row ${i} is ${describe(row)}; expected an object mapping column names to values.`, {
        details: { row: i },
      });
    }
  });
  const type = pickType(queryType, envelope?.type, types);
  return type === undefined ? { rows } : { rows, type };
}

function pickType(queryType: unknown, bodyType: unknown, types: readonly string[]): string | undefined {
  const type = queryType ?? bodyType;
  if (type === undefined || type === '') return undefined;
  if (typeof type !== 'string' || (types.length > 0 && !types.includes(type))) {
    throw new ModelBundleError(
      'INVALID_ARGUMENT',
      `Prediction type ${JSON.stringify(type)} is not supported by this model; expected one of: ${types.join(', ') || '(none declared)'}.`,
      { details: { type, types } },
    );
  }
  return type;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === undefined) return 'empty';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return `an object with keys ${JSON.stringify(Object.keys(value).slice(0, 5))}`;
  return `a ${typeof value} (${JSON.stringify(value).slice(0, 40)})`;
}
