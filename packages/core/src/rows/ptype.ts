import { ModelBundleError } from '../errors.js';
import { isRecord } from '../internal/values.js';

/** The value types a column can hold; `any` means the ptype names a type no consumer knows, so values are not checked. */
export type ColumnType = 'number' | 'integer' | 'string' | 'boolean' | 'any';

/** One named input column of a table-like model. */
export interface PtypeColumn {
  name: string;
  type: ColumnType;
  /** The allowed values (levels seen at fit time) of a string column. */
  levels?: string[];
  /** True when `null` is a legal value (a missing value the model fills in). */
  nullable?: boolean;
  minimum?: number;
  maximum?: number;
  description?: string;
}

/** One tensor input or output: its name, shape (`null` = any size, the first dimension is the batch) and dtype. */
export interface PtypeTensor {
  name: string;
  shape: (number | null)[] | null;
  dtype: string;
}

/** What to do with a string value that is not one of a column's levels: refuse the row, or encode it as all zeros (with a warning). */
export type UnseenLevelPolicy = 'error' | 'zero';

/** A model whose rows are objects of named columns (workflows, linear models...). */
export interface ColumnsPtype {
  columns: PtypeColumn[];
  /** What is predicted; rows may carry this column, and it is ignored. */
  outcome?: { name: string; type: string; levels?: string[] };
  /** The model's own choice for unseen levels, used when the operator sets none. */
  unseenLevels?: UnseenLevelPolicy;
}

/** A model whose rows are tensors: one value per input, without the batch dimension. */
export interface TensorPtype {
  inputs: PtypeTensor[];
  outputs?: PtypeTensor[];
}

/**
 * The one input prototype every consumer reads (the server, the CLI, the docs
 * page): the columns of a table model, or the inputs of a tensor model.
 * Serializers may declare it in one of the older shapes too
 * ({@link PtypeDeclaration}); {@link readPtype} turns any of them into this.
 */
export type Ptype = ColumnsPtype | TensorPtype;

/** A column as a serializer may declare it: a type name (`numeric`, `factor`, `float32`...) and optional levels and range. */
export interface PtypeColumnSpec {
  name?: string;
  type: string;
  levels?: readonly string[];
  nullable?: boolean;
  min?: number;
  max?: number;
  minimum?: number;
  maximum?: number;
  description?: string;
}

/**
 * What a serializer may put in `BundleParts.ptype`: a {@link Ptype}, a list of
 * columns, `{ columns }` with looser type names, or a map from column name to
 * a type name or spec. `null` when the model has no prototype.
 */
export type PtypeDeclaration =
  | Ptype
  | { columns: readonly PtypeColumnSpec[]; outcome?: ColumnsPtype['outcome'] }
  | readonly PtypeColumnSpec[]
  | Readonly<Record<string, string | PtypeColumnSpec>>;

/** Bounds on a ptype, checked when a consumer loads it, so /prototype and /openapi.json stay small. */
export const PTYPE_LIMITS = {
  /** Most columns or tensor inputs. */
  columns: 2_048,
  /** Most levels of one column. */
  levels: 10_000,
  /** Most levels over all columns. */
  totalLevels: 50_000,
  /** Longest column name, level or dtype, in characters. */
  nameChars: 256,
  /** Longest description, in characters. */
  descriptionChars: 1_024,
  /** Most dimensions of a tensor (the batch one included). */
  rank: 8,
  /** Largest fixed dimension. */
  dimension: 1 << 24,
  /** Most values in one row of one tensor input. */
  rowElements: 1 << 24,
  /** Largest ptype as JSON, in bytes. */
  jsonBytes: 256 * 1024,
} as const;

const NUMBER_TYPES = new Set(['number', 'numeric', 'double', 'float', 'float16', 'float32', 'float64', 'real']);
const INTEGER_TYPES = new Set(['integer', 'int', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32']);
const STRING_TYPES = new Set(['string', 'character', 'text', 'nominal', 'factor', 'categorical', 'category', 'class', 'date', 'datetime']);
const BOOLEAN_TYPES = new Set(['boolean', 'bool', 'logical']);

/** True for a tensor ptype (rows are tensors), false for a columns ptype. */
export function isTensorPtype(ptype: Ptype): ptype is TensorPtype {
  return 'inputs' in ptype;
}

/** The column type a declared type name stands for. */
export function columnType(typeName: string): ColumnType {
  const name = typeName.toLowerCase();
  if (NUMBER_TYPES.has(name)) return 'number';
  if (INTEGER_TYPES.has(name)) return 'integer';
  if (STRING_TYPES.has(name)) return 'string';
  if (BOOLEAN_TYPES.has(name)) return 'boolean';
  return 'any';
}

/**
 * Reads a bundle's declared ptype into the one {@link Ptype} shape, checking
 * every bound in {@link PTYPE_LIMITS}. `null`, `undefined` or an empty value
 * means the model describes no prototype (null). Anything else that is not a
 * ptype, or breaks a bound (hostile sizes, shapes that are not small
 * integers, non-string names), is MALFORMED: the bundle is not served.
 */
export function readPtype(declared: unknown): Ptype | null {
  if (declared === null || declared === undefined) return null;
  if (Array.isArray(declared) && declared.length === 0) return null;
  if (isRecord(declared) && Object.keys(declared).length === 0) return null;
  const ptype = normalise(declared);
  let json: string;
  try {
    json = JSON.stringify(ptype);
  } catch (cause) {
    throw malformed('cannot be written as JSON', cause);
  }
  if (json.length > PTYPE_LIMITS.jsonBytes) throw malformed(`is ${json.length} bytes as JSON; the limit is ${PTYPE_LIMITS.jsonBytes}`);
  return ptype;
}

function normalise(declared: unknown): Ptype {
  if (Array.isArray(declared)) return { columns: readColumns(declared) };
  if (!isRecord(declared)) throw malformed(`is ${typeof declared}; expected { columns: [...] }, { inputs: [...] }, a list of columns or a map of column types`);
  if ('inputs' in declared) return readTensors(declared);
  if ('columns' in declared) {
    if (!Array.isArray(declared.columns)) throw malformed('has "columns" that is not a list');
    const ptype: ColumnsPtype = { columns: readColumns(declared.columns) };
    if (declared.outcome !== undefined) ptype.outcome = readOutcome(declared.outcome);
    if (declared.unseenLevels !== undefined) {
      if (declared.unseenLevels !== 'error' && declared.unseenLevels !== 'zero') throw malformed('has "unseenLevels" other than "error" or "zero"');
      ptype.unseenLevels = declared.unseenLevels;
    }
    return ptype;
  }
  if (declared.type === 'object' && isRecord(declared.properties)) return { columns: fromJsonSchema(declared) };
  const entries = Object.entries(declared);
  checkCount(entries.length, 'columns');
  return {
    columns: entries.map(([name, spec]) => readColumn(typeof spec === 'string' ? { name, type: spec } : isRecord(spec) ? { ...spec, name } : spec, name)),
  };
}

function readColumns(list: unknown[]): PtypeColumn[] {
  checkCount(list.length, 'columns');
  const columns = list.map((spec, i) => readColumn(spec, `column ${i}`));
  const seen = new Set<string>();
  let levels = 0;
  for (const column of columns) {
    if (seen.has(column.name)) throw malformed(`names column "${column.name}" twice`);
    seen.add(column.name);
    levels += column.levels?.length ?? 0;
  }
  if (levels > PTYPE_LIMITS.totalLevels) throw malformed(`lists ${levels} levels in all; the limit is ${PTYPE_LIMITS.totalLevels}`);
  return columns;
}

function readColumn(spec: unknown, where: string): PtypeColumn {
  if (!isRecord(spec)) throw malformed(`has ${where} that is not an object`);
  const name = readName(spec.name, `${where}'s name`);
  if (typeof spec.type !== 'string') throw malformed(`has column "${name}" without a string type`);
  readName(spec.type, `column "${name}"'s type`);
  const column: PtypeColumn = { name, type: columnType(spec.type) };
  if (spec.levels !== undefined && spec.levels !== null) {
    if (!Array.isArray(spec.levels)) throw malformed(`has column "${name}" whose levels are not a list`);
    if (spec.levels.length > PTYPE_LIMITS.levels)
      throw malformed(`has column "${name}" with ${spec.levels.length} levels; the limit is ${PTYPE_LIMITS.levels}`);
    column.levels = spec.levels.map((level) => readName(level, `a level of column "${name}"`));
    column.type = 'string';
  }
  if (spec.nullable !== undefined) {
    if (typeof spec.nullable !== 'boolean') throw malformed(`has column "${name}" whose "nullable" is not true or false`);
    if (spec.nullable) column.nullable = true;
  }
  const minimum = spec.minimum ?? spec.min;
  const maximum = spec.maximum ?? spec.max;
  if (minimum !== undefined) column.minimum = readNumber(minimum, `column "${name}"'s minimum`);
  if (maximum !== undefined) column.maximum = readNumber(maximum, `column "${name}"'s maximum`);
  if (spec.description !== undefined) {
    if (typeof spec.description !== 'string' || spec.description.length > PTYPE_LIMITS.descriptionChars) {
      throw malformed(`has column "${name}" whose description is not a string of at most ${PTYPE_LIMITS.descriptionChars} characters`);
    }
    column.description = spec.description;
  }
  return column;
}

function readOutcome(value: unknown): NonNullable<ColumnsPtype['outcome']> {
  if (!isRecord(value)) throw malformed('has an outcome that is not an object');
  const outcome: NonNullable<ColumnsPtype['outcome']> = { name: readName(value.name, "the outcome's name"), type: readName(value.type, "the outcome's type") };
  if (Array.isArray(value.levels)) {
    if (value.levels.length > PTYPE_LIMITS.levels) throw malformed(`has an outcome with ${value.levels.length} levels; the limit is ${PTYPE_LIMITS.levels}`);
    outcome.levels = value.levels.map((level) => readName(level, 'an outcome level'));
  }
  return outcome;
}

function readTensors(declared: Record<string, unknown>): TensorPtype {
  if (!Array.isArray(declared.inputs) || declared.inputs.length === 0) throw malformed('has "inputs" that is not a non-empty list');
  checkCount(declared.inputs.length, 'inputs');
  const ptype: TensorPtype = { inputs: declared.inputs.map((spec, i) => readTensor(spec, `input ${i}`, true)) };
  if (declared.outputs !== undefined) {
    if (!Array.isArray(declared.outputs)) throw malformed('has "outputs" that is not a list');
    checkCount(declared.outputs.length, 'outputs');
    ptype.outputs = declared.outputs.map((spec, i) => readTensor(spec, `output ${i}`, false));
  }
  const names = new Set(ptype.inputs.map((t) => t.name));
  if (names.size !== ptype.inputs.length) throw malformed('names one input twice');
  return ptype;
}

function readTensor(spec: unknown, where: string, input: boolean): PtypeTensor {
  if (!isRecord(spec)) throw malformed(`has ${where} that is not an object`);
  const name = readName(spec.name, `${where}'s name`);
  const dtype = spec.dtype ?? spec.type ?? 'float32';
  readName(dtype, `${where}'s dtype`);
  let shape: (number | null)[] | null = null;
  if (spec.shape !== null && spec.shape !== undefined) {
    if (!Array.isArray(spec.shape) || spec.shape.length > PTYPE_LIMITS.rank)
      throw malformed(`has ${where} whose shape is not a list of at most ${PTYPE_LIMITS.rank} dimensions`);
    shape = spec.shape.map((d) => {
      if (d === null || d === -1) return null;
      if (!Number.isSafeInteger(d) || (d as number) < 0 || (d as number) > PTYPE_LIMITS.dimension) {
        throw malformed(`has ${where} with dimension ${preview(d)}; dimensions are null or integers from 0 to ${PTYPE_LIMITS.dimension}`);
      }
      return d as number;
    });
    if (input) {
      const size = shape.slice(1).reduce<number>((a, d) => a * (d ?? 1), 1);
      if (size > PTYPE_LIMITS.rowElements) throw malformed(`has ${where} of ${size} values per row; the limit is ${PTYPE_LIMITS.rowElements}`);
    }
  }
  return { name, shape, dtype: dtype as string };
}

/** A plain JSON Schema object with simple properties (an older way to declare columns). */
function fromJsonSchema(schema: Record<string, unknown>): PtypeColumn[] {
  const properties = Object.entries(schema.properties as Record<string, unknown>);
  checkCount(properties.length, 'columns');
  const required = Array.isArray(schema.required) ? new Set(schema.required) : undefined;
  return properties.map(([name, property]) => {
    if (!isRecord(property)) throw malformed(`has property "${preview(name)}" that is not an object`);
    const types = [property.type].flat();
    const main = types.find((t) => t !== 'null');
    const column = readColumn(
      {
        name,
        type: typeof main === 'string' ? main : 'any',
        levels: property.enum,
        minimum: property.minimum,
        maximum: property.maximum,
        description: property.description,
      },
      name,
    );
    if (types.includes('null') || (required && !required.has(name))) column.nullable = true;
    return column;
  });
}

function readName(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > PTYPE_LIMITS.nameChars) {
    throw malformed(`has ${what} ${preview(value)}; expected a string of 1 to ${PTYPE_LIMITS.nameChars} characters`);
  }
  return value;
}

function readNumber(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw malformed(`has ${what} ${preview(value)}; expected a finite number`);
  return value;
}

function checkCount(count: number, what: string): void {
  if (count > PTYPE_LIMITS.columns) throw malformed(`lists ${count} ${what}; the limit is ${PTYPE_LIMITS.columns}`);
}

function malformed(problem: string, cause?: unknown): ModelBundleError {
  return new ModelBundleError(
    'MALFORMED',
    `The bundle's input prototype (ptype) ${problem}. A consumer cannot describe or check rows from it; rebuild the bundle with its serializer's current version.`,
    cause === undefined ? {} : { cause },
  );
}

/** A short, safe preview of any value for messages (at most about 40 characters; never walks a nested value). */
export function preview(value: unknown): string {
  if (typeof value === 'string') return value.length > 40 ? `${JSON.stringify(value.slice(0, 39)).slice(0, -1)}…"` : JSON.stringify(value);
  if (Array.isArray(value)) return `a list of ${value.length} item${value.length === 1 ? '' : 's'}`;
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return String(value);
}
