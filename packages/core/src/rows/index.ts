export { type CheckRowsOptions, checkRows, type RowCheck, type RowProblem, type RowWarning } from './check-rows.js';
export { closestValue } from './closest.js';
export { parseCsv } from './csv.js';
export { type FlatValue, flattenValue, MAX_VALUE_DEPTH } from './flatten.js';
export { csvRows, type ParseRowsOptions, parseRequestRows, parseRequestText, type RowsFormat, type RowsRequest } from './parse-request.js';
export {
  type ColumnsPtype,
  type ColumnType,
  columnType,
  isTensorPtype,
  PTYPE_LIMITS,
  type Ptype,
  type PtypeColumn,
  type PtypeColumnSpec,
  type PtypeDeclaration,
  type PtypeTensor,
  readPtype,
  type TensorPtype,
  type UnseenLevelPolicy,
} from './ptype.js';
