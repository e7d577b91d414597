import { ModelBundleError } from '@modelbundle/core';
import { asUint8Array, fromBase64 } from '@modelbundle/core/internal';

/** How model bytes look in JSON: a base64 string in an object of its own. */
export interface Base64Bytes {
  $base64: string;
}

/**
 * Model bytes in any form a copy of a workflow may carry them: a Uint8Array
 * (structuredClone, v8, postMessage), a Node Buffer (msgpack), `{ $base64 }`
 * (our JSON form) or `{ type: 'Buffer', data }` (JSON of a Buffer). Null when absent.
 */
export function readModelBytes(value: unknown): Uint8Array | null {
  if (value === null || value === undefined) return null;
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) return asUint8Array(value);
  if (typeof value === 'object') {
    const v = value as Record<string, unknown>;
    if (typeof v.$base64 === 'string') {
      const bytes = fromBase64(v.$base64);
      if (!bytes) {
        throw new ModelBundleError('INVALID_INPUT', "The workflow's modelBytes.$base64 is not valid base64; the JSON was altered. Re-save the workflow.");
      }
      return bytes;
    }
    if (v.type === 'Buffer' && Array.isArray(v.data)) return Uint8Array.from(v.data as number[]);
  }
  throw new ModelBundleError(
    'INVALID_INPUT',
    `The workflow's modelBytes is ${typeof value === 'object' ? 'an object of unknown shape' : `a ${typeof value}`}; expected a Uint8Array, { $base64 } or null. The copy was altered; re-save the workflow.`,
  );
}

/** The bytes in a buffer of their own: a view into a larger buffer would make every structuredClone copy the whole buffer. */
export function ownBytes(bytes: Uint8Array): Uint8Array {
  const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.constructor === Uint8Array;
  return own ? bytes : new Uint8Array(bytes);
}
