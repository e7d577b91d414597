import { isObject, type Json } from './keras-json.js';

/** Keras initializer class -> tfjs class (tfjs spells some differently, Keras 3 renamed a few). */
const INITIALIZERS: Readonly<Record<string, string>> = {
  Zeros: 'Zeros',
  Ones: 'Ones',
  Constant: 'Constant',
  RandomNormal: 'RandomNormal',
  RandomUniform: 'RandomUniform',
  TruncatedNormal: 'TruncatedNormal',
  VarianceScaling: 'VarianceScaling',
  GlorotUniform: 'GlorotUniform',
  GlorotNormal: 'GlorotNormal',
  HeNormal: 'HeNormal',
  HeUniform: 'HeUniform',
  LecunNormal: 'LeCunNormal',
  LecunUniform: 'LeCunUniform',
  Orthogonal: 'Orthogonal',
  OrthogonalInitializer: 'Orthogonal',
  Identity: 'Identity',
  IdentityInitializer: 'Identity',
};
const STRING_INITIALIZERS: Readonly<Record<string, string>> = {
  zeros: 'Zeros',
  ones: 'Ones',
  glorot_uniform: 'GlorotUniform',
  glorot_normal: 'GlorotNormal',
  he_normal: 'HeNormal',
  he_uniform: 'HeUniform',
  lecun_normal: 'LeCunNormal',
  lecun_uniform: 'LeCunUniform',
  orthogonal: 'Orthogonal',
  random_normal: 'RandomNormal',
  random_uniform: 'RandomUniform',
  truncated_normal: 'TruncatedNormal',
};
const INITIALIZER_KEYS = new Set(['mean', 'stddev', 'minval', 'maxval', 'value', 'scale', 'mode', 'distribution', 'gain', 'seed']);

/**
 * An initializer in tfjs's form. Imported weights overwrite every initial
 * value, so one tfjs lacks becomes Zeros (it only matters for weights created
 * later, which an imported model does not have).
 */
export function translateInitializer(value: unknown): Json | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return { class_name: STRING_INITIALIZERS[value] ?? 'Zeros', config: {} };
  if (!isObject(value) || typeof value.class_name !== 'string') return { class_name: 'Zeros', config: {} };
  const className = INITIALIZERS[value.class_name];
  if (!className) return { class_name: 'Zeros', config: {} };
  const config: Json = {};
  for (const [k, v] of Object.entries(isObject(value.config) ? value.config : {})) {
    if (INITIALIZER_KEYS.has(k) && (typeof v === 'number' || typeof v === 'string' || v === null)) config[k] = v;
  }
  if (className === 'Orthogonal' || className === 'Identity') config.gain ??= 1;
  return { class_name: className, config };
}

/** A regularizer in tfjs's form (L1L2 only there); regularizers never change predictions. */
export function translateRegularizer(value: unknown): Json | null {
  if (!isObject(value) || typeof value.class_name !== 'string') return null;
  const c = isObject(value.config) ? value.config : {};
  const l1 = typeof c.l1 === 'number' ? c.l1 : 0;
  const l2 = typeof c.l2 === 'number' ? c.l2 : 0;
  if (!['L1L2', 'L1', 'L2'].includes(value.class_name)) return null;
  return { class_name: 'L1L2', config: { l1, l2 } };
}

const CONSTRAINTS: Readonly<Record<string, string>> = { MaxNorm: 'MaxNorm', NonNeg: 'NonNeg', UnitNorm: 'UnitNorm', MinMaxNorm: 'MinMaxNorm' };

/** A constraint in tfjs's form (only applied while training; dropped where tfjs has none). */
export function translateConstraint(value: unknown): Json | null {
  if (!isObject(value) || typeof value.class_name !== 'string') return null;
  const className = CONSTRAINTS[value.class_name];
  if (!className) return null;
  const config: Json = {};
  for (const [k, v] of Object.entries(isObject(value.config) ? value.config : {})) if (typeof v === 'number') config[k] = v;
  return { class_name: className, config };
}

/** Rewrites every `*_initializer`, `*_regularizer` and `*_constraint` key of a layer config in place. */
export function translateParams(config: Json): void {
  for (const key of Object.keys(config)) {
    if (key.endsWith('_initializer')) config[key] = translateInitializer(config[key]);
    else if (key.endsWith('_regularizer')) config[key] = translateRegularizer(config[key]);
    else if (key.endsWith('_constraint')) config[key] = translateConstraint(config[key]);
  }
}
