/** A JSON Schema object (the subset OpenAPI 3.1 uses). */
export type JsonSchema = Record<string, unknown>;

const NUMBER_TYPES = new Set(['number', 'numeric', 'double', 'float', 'float16', 'float32', 'float64', 'real']);
const INTEGER_TYPES = new Set(['integer', 'int', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32']);
const STRING_TYPES = new Set(['string', 'character', 'text', 'nominal', 'factor', 'categorical', 'category', 'class', 'date', 'datetime']);
const BOOLEAN_TYPES = new Set(['boolean', 'bool', 'logical']);

/**
 * Turns a bundle's input prototype into a JSON Schema for one input row.
 *
 * Serializers describe their columns in one of a few common shapes, all
 * accepted here so that any bundle gets a useful schema:
 * - a JSON Schema already (`{ type: 'object', properties }`),
 * - a list of columns (`[{ name, type, levels? }]`, or `{ columns: [...] }`),
 * - a map from column name to a type name or `{ type, levels? }`,
 * - tensor inputs (`{ inputs: [{ name, shape, dtype }] }`): one property per
 *   input holding its value without the batch dimension (nested arrays).
 * Anything else gives an open object schema: the server still predicts, and
 * the predictor remains the judge of what a valid row is.
 */
export function ptypeToRowSchema(ptype: unknown): JsonSchema {
  if (isRecord(ptype) && ptype.type === 'object' && isRecord(ptype.properties)) return ptype;
  if (isRecord(ptype) && Array.isArray(ptype.inputs)) return tensorRowSchema(ptype.inputs);
  const columns = columnsOf(ptype);
  if (!columns) return { type: 'object', additionalProperties: true };
  const properties: Record<string, JsonSchema> = {};
  for (const column of columns) properties[column.name] = columnSchema(column.spec);
  return { type: 'object', properties, required: columns.map((c) => c.name), additionalProperties: false };
}

/**
 * The example row to show for a bundle: the row its writer stored in
 * `metadata.example` (a real input reads better than zeros), else one built
 * from the row schema.
 */
export function bundleExample(metadata: Record<string, unknown>, schema: JsonSchema): Record<string, unknown> {
  return isRecord(metadata.example) ? metadata.example : exampleRow(schema);
}

/** An example row built from a row schema (first level, zero or the middle of a range), for docs and `curl` examples. */
export function exampleRow(schema: JsonSchema): Record<string, unknown> {
  const properties = isRecord(schema.properties) ? schema.properties : {};
  const row: Record<string, unknown> = {};
  for (const [name, property] of Object.entries(properties)) row[name] = exampleValue(isRecord(property) ? property : {});
  return row;
}

function tensorRowSchema(inputs: unknown[]): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  for (const input of inputs) {
    if (!isRecord(input) || typeof input.name !== 'string') return { type: 'object', additionalProperties: true };
    const shape = Array.isArray(input.shape) ? input.shape.slice(1) : [];
    const dtype = typeof input.dtype === 'string' ? input.dtype : 'float32';
    let schema: JsonSchema = columnSchema(dtype === 'bool' ? 'boolean' : dtype);
    for (const dim of [...shape].reverse()) {
      schema = typeof dim === 'number' ? { type: 'array', items: schema, minItems: dim, maxItems: dim } : { type: 'array', items: schema };
    }
    properties[input.name] = schema;
  }
  return { type: 'object', properties, required: Object.keys(properties), additionalProperties: false };
}

interface Column {
  name: string;
  spec: unknown;
}

function columnsOf(ptype: unknown): Column[] | undefined {
  const list = Array.isArray(ptype) ? ptype : isRecord(ptype) && Array.isArray(ptype.columns) ? ptype.columns : undefined;
  if (list) {
    const columns = list.filter((c): c is Record<string, unknown> => isRecord(c) && typeof c.name === 'string');
    return columns.length === list.length && columns.length > 0 ? columns.map((c) => ({ name: c.name as string, spec: c })) : undefined;
  }
  if (isRecord(ptype) && Object.keys(ptype).length > 0) {
    const entries = Object.entries(ptype);
    if (entries.every(([, spec]) => typeof spec === 'string' || (isRecord(spec) && typeof spec.type === 'string'))) {
      return entries.map(([name, spec]) => ({ name, spec }));
    }
  }
  return undefined;
}

function columnSchema(spec: unknown): JsonSchema {
  const record = isRecord(spec) ? spec : {};
  const typeName = (typeof spec === 'string' ? spec : typeof record.type === 'string' ? record.type : typeof record.dtype === 'string' ? record.dtype : '')
    .toLowerCase()
    .trim();
  const levels = Array.isArray(record.levels) ? record.levels : undefined;
  const schema: JsonSchema = {};
  if (levels && levels.length > 0) {
    schema.type = 'string';
    schema.enum = levels;
  } else if (NUMBER_TYPES.has(typeName)) schema.type = 'number';
  else if (INTEGER_TYPES.has(typeName)) schema.type = 'integer';
  else if (STRING_TYPES.has(typeName)) schema.type = 'string';
  else if (BOOLEAN_TYPES.has(typeName)) schema.type = 'boolean';
  for (const key of ['minimum', 'maximum', 'description'] as const) {
    if (record[key] !== undefined) schema[key] = record[key];
  }
  if (record.min !== undefined && typeof record.min === 'number') schema.minimum = record.min;
  if (record.max !== undefined && typeof record.max === 'number') schema.maximum = record.max;
  if (typeName && schema.type === undefined) schema.description = `type ${typeName}`;
  if (record.nullable === true && typeof schema.type === 'string') schema.type = [schema.type, 'null'];
  return schema;
}

function exampleValue(schema: JsonSchema): unknown {
  if (schema.example !== undefined) return schema.example;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  const min = typeof schema.minimum === 'number' ? schema.minimum : undefined;
  const max = typeof schema.maximum === 'number' ? schema.maximum : undefined;
  if (type === 'number') return min !== undefined && max !== undefined ? round((min + max) / 2) : (min ?? max ?? 0);
  if (type === 'integer') return min !== undefined && max !== undefined ? Math.round((min + max) / 2) : (min ?? max ?? 0);
  if (type === 'boolean') return false;
  if (type === 'string') return '';
  if (type === 'array') {
    const items = isRecord(schema.items) ? schema.items : {};
    return Array.from({ length: typeof schema.minItems === 'number' ? schema.minItems : 1 }, () => exampleValue(items));
  }
  return null;
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
