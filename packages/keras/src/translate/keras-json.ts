import { ModelBundleError } from '@modelbundle/core';

/** A JSON object. */
export type Json = Record<string, unknown>;

/** A Keras serialized object with its Keras 3 wrapper fields read off. */
export interface KerasObject {
  className: string;
  config: Json;
  /** Keras 3: the Python module of the class (`keras.layers`, `__main__`, ...). */
  module?: string;
  /** Keras 3: the registration name of a custom class (`package>Name`), null for built-ins. */
  registeredName?: string | null;
  /** The whole serialized object (name, inbound_nodes, build_config, ...). */
  raw: Json;
}

/** True for a plain JSON object. */
export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads `{class_name, config, module?, registered_name?}` (Keras 2 and 3 spellings), refusing anything else. */
export function kerasObject(value: unknown, what: string): KerasObject {
  if (!isObject(value) || typeof value.class_name !== 'string') {
    throw new ModelBundleError(
      'MALFORMED',
      `The Keras config has a ${what} that is not a {class_name, config} object; the config.json or model_config is damaged.`,
    );
  }
  const config = value.config ?? {};
  if (!isObject(config) && !Array.isArray(config)) {
    throw new ModelBundleError('MALFORMED', `The Keras config's ${what} "${value.class_name}" has a config that is not an object.`);
  }
  return {
    className: value.class_name,
    config: (Array.isArray(config) ? { layers: config } : config) as Json,
    ...(typeof value.module === 'string' ? { module: value.module } : {}),
    ...(value.registered_name === null || typeof value.registered_name === 'string' ? { registeredName: value.registered_name as string | null } : {}),
    raw: value,
  };
}

/** True when a Keras 3 object names a class that Keras itself defines (not a user's registered or __main__ class). */
export function isKerasBuiltin(object: KerasObject): boolean {
  if (object.module !== undefined && !/^(keras|tf_keras|tensorflow)(\.|$)/.test(object.module)) return false;
  const registered = object.registeredName;
  return registered === undefined || registered === null || registered === object.className || !registered.includes('>');
}

/** The dtype name of a Keras 2 string dtype or a Keras 3 `DTypePolicy` object; mixed policies compute in their variable dtype, float32. */
export function dtypeName(value: unknown): string | undefined {
  if (typeof value === 'string') return value.startsWith('mixed_') ? 'float32' : value;
  if (isObject(value) && isObject(value.config) && typeof value.config.name === 'string') return dtypeName(value.config.name);
  return undefined;
}

/** Checks that a JSON value nests no deeper than `maxDepth`. */
export function assertDepth(value: unknown, maxDepth: number, what: string): void {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop() as [unknown, number];
    if (item === null || typeof item !== 'object') continue;
    if (depth > maxDepth) {
      throw new ModelBundleError(
        'LIMIT_EXCEEDED',
        `The ${what} nests deeper than ${maxDepth} levels; no real Keras model does. The file is damaged or hostile.`,
      );
    }
    for (const child of Object.values(item as object)) stack.push([child, depth + 1]);
  }
}

/** Parses JSON text of at most `maxBytes`, refusing anything else with MALFORMED. */
export function parseJson(bytes: Uint8Array | string, what: string, maxBytes: number, maxDepth: number): unknown {
  const length = typeof bytes === 'string' ? bytes.length : bytes.byteLength;
  if (length > maxBytes) {
    throw new ModelBundleError('LIMIT_EXCEEDED', `The ${what} is ${length} bytes long; at most ${maxBytes} are read (limits.maxConfigBytes).`);
  }
  let value: unknown;
  try {
    value = JSON.parse(typeof bytes === 'string' ? bytes : new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (cause) {
    throw new ModelBundleError('MALFORMED', `The ${what} is not valid JSON (${(cause as Error).message}); the file is damaged. Save the model again.`, {
      cause,
    });
  }
  assertDepth(value, maxDepth, what);
  return value;
}
