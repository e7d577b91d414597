import { isTensorPtype, type Ptype, type PtypeColumn, type PtypeTensor, type UnseenLevelPolicy } from '@modelbundle/core';
import { isRecord } from '@modelbundle/core/internal';

/** A JSON Schema object (the subset OpenAPI 3.1 uses). */
export type JsonSchema = Record<string, unknown>;

/** Largest example the docs show, as JSON (a bigger `metadata.example` is replaced by a built one). */
export const MAX_EXAMPLE_BYTES = 64 * 1024;
/** Most values in a built example; a larger tensor input gets no example values. */
const MAX_EXAMPLE_VALUES = 4_096;

/**
 * The JSON Schema of one input row, exactly what `checkRows` accepts for
 * this ptype and policy: a columns ptype gives an object with one property
 * per column (`enum` of its levels unless unseen levels are allowed, `null`
 * in the type of nullable columns), the outcome column as an optional
 * property, nothing else; a tensor ptype gives one property per input holding
 * its value without the batch dimension (nested arrays, sizes as
 * minItems/maxItems). A null ptype gives an open object.
 */
export function ptypeToRowSchema(ptype: Ptype | null, options: { unseenLevels?: UnseenLevelPolicy } = {}): JsonSchema {
  if (ptype === null) return { type: 'object', additionalProperties: true };
  if (isTensorPtype(ptype)) {
    const properties = Object.fromEntries(ptype.inputs.map((input) => [input.name, tensorSchema(input)]));
    return { type: 'object', properties, required: ptype.inputs.map((i) => i.name), additionalProperties: false };
  }
  const properties: Record<string, JsonSchema> = {};
  for (const column of ptype.columns) properties[column.name] = columnSchema(column, options.unseenLevels ?? 'error');
  if (ptype.outcome && !(ptype.outcome.name in properties)) {
    properties[ptype.outcome.name] = { description: 'The outcome column: allowed, and ignored.' };
  }
  return { type: 'object', properties, required: ptype.columns.map((c) => c.name), additionalProperties: false };
}

/**
 * The schemas of one row in a request body: the object row, and for a
 * single-input tensor model the input's value alone (an array row), nested
 * or as a flat list when the shape is fully known.
 */
export function rowSchemas(ptype: Ptype | null, options: { unseenLevels?: UnseenLevelPolicy } = {}): JsonSchema[] {
  const row = ptypeToRowSchema(ptype, options);
  if (ptype === null) return [row, { type: 'array' }];
  if (!isTensorPtype(ptype) || ptype.inputs.length !== 1) return [row];
  const input = ptype.inputs[0]!;
  const schemas = [row, tensorSchema(input)];
  const dims = (input.shape ?? [null]).slice(1);
  if (dims.length > 1 && dims.every((d) => d !== null)) {
    const size = (dims as number[]).reduce((a, d) => a * d, 1);
    schemas.push({ type: 'array', items: scalarSchema(input.dtype), minItems: size, maxItems: size, description: 'The same values as one flat list.' });
  }
  if (dims.length === 0) schemas.push(scalarSchema(input.dtype));
  return schemas;
}

/**
 * The example row to show for a bundle: the row its writer stored in
 * `metadata.example` (a real input reads better than zeros) when it is an
 * object of at most 64 KiB as JSON, else one built from the row schema.
 */
export function bundleExample(metadata: Record<string, unknown>, schema: JsonSchema): Record<string, unknown> {
  const stored = metadata.example;
  if (isRecord(stored)) {
    try {
      if (JSON.stringify(stored).length <= MAX_EXAMPLE_BYTES) return stored;
    } catch {
      // Not JSON (too deep, a BigInt): build one instead.
    }
  }
  return exampleRow(schema);
}

/** An example row built from a row schema (first level, zero or the middle of a range), for docs and `curl` examples. */
export function exampleRow(schema: JsonSchema): Record<string, unknown> {
  const properties = isRecord(schema.properties) ? schema.properties : {};
  const required = new Set(Array.isArray(schema.required) ? schema.required : Object.keys(properties));
  const budget = { values: MAX_EXAMPLE_VALUES };
  const row: Record<string, unknown> = {};
  for (const [name, property] of Object.entries(properties)) {
    if (required.has(name)) row[name] = exampleValue(isRecord(property) ? property : {}, budget);
  }
  return row;
}

function tensorSchema(input: PtypeTensor): JsonSchema {
  let schema = scalarSchema(input.dtype);
  const dims = (input.shape ?? [null]).slice(1);
  for (const dim of [...dims].reverse())
    schema = typeof dim === 'number' ? { type: 'array', items: schema, minItems: dim, maxItems: dim } : { type: 'array', items: schema };
  return schema;
}

function scalarSchema(dtype: string): JsonSchema {
  return /^u?int/.test(dtype) ? { type: 'integer' } : { type: 'number' };
}

function columnSchema(column: PtypeColumn, unseenLevels: UnseenLevelPolicy): JsonSchema {
  const schema: JsonSchema = {};
  if (column.type !== 'any') schema.type = column.type;
  if (column.levels) {
    if (unseenLevels === 'error') schema.enum = column.nullable ? [...column.levels, null] : [...column.levels];
    else schema.examples = column.levels.slice(0, 12);
  }
  if (column.minimum !== undefined) schema.minimum = column.minimum;
  if (column.maximum !== undefined) schema.maximum = column.maximum;
  const notes = [
    column.description,
    column.levels && unseenLevels === 'zero'
      ? `Levels seen at fit time: ${column.levels.slice(0, 12).join(', ')}${column.levels.length > 12 ? ', ...' : ''}; any other value is encoded as all zeros (with a warning).`
      : undefined,
    column.nullable ? 'null: a missing value, filled in by the model.' : undefined,
  ];
  const description = notes.filter(Boolean).join(' ');
  if (description) schema.description = description;
  if (column.nullable && typeof schema.type === 'string') schema.type = [schema.type, 'null'];
  return schema;
}

function exampleValue(schema: JsonSchema, budget: { values: number }): unknown {
  if (schema.example !== undefined) return schema.example;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  const min = typeof schema.minimum === 'number' ? schema.minimum : undefined;
  const max = typeof schema.maximum === 'number' ? schema.maximum : undefined;
  if (type === 'number' || type === 'integer') {
    budget.values--;
    const middle = min !== undefined && max !== undefined ? (min + max) / 2 : (min ?? max ?? 0);
    return type === 'integer' ? Math.round(middle) : Math.round(middle * 1000) / 1000;
  }
  if (type === 'boolean') return false;
  if (type === 'string') return '';
  if (type === 'array') {
    const items = isRecord(schema.items) ? schema.items : {};
    const count = typeof schema.minItems === 'number' ? schema.minItems : 1;
    const out: unknown[] = [];
    for (let i = 0; i < count && budget.values > 0; i++) out.push(exampleValue(items, budget));
    return out;
  }
  return null;
}
