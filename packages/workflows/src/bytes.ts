import { ModelBundleError } from '@modelbundle/core';

/** How model bytes look in JSON: a base64 string in an object of its own. */
export interface Base64Bytes {
  $base64: string;
}

/** Encodes bytes as base64 (browser and Node). */
export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** Decodes base64 to bytes (browser and Node). */
export function fromBase64(text: string): Uint8Array {
  let binary: string;
  try {
    binary = atob(text);
  } catch (cause) {
    throw new ModelBundleError('INVALID_INPUT', "The workflow's modelBytes.$base64 is not valid base64; the JSON was altered. Re-save the workflow.", {
      cause,
    });
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * Model bytes in any form a copy of a workflow may carry them: a Uint8Array
 * (structuredClone, v8, postMessage), a Node Buffer (msgpack), `{ $base64 }`
 * (our JSON form) or `{ type: 'Buffer', data }` (JSON of a Buffer). Null when absent.
 */
export function readModelBytes(value: unknown): Uint8Array | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Uint8Array) return plainView(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (typeof value === 'object') {
    const v = value as Record<string, unknown>;
    if (typeof v.$base64 === 'string') return fromBase64(v.$base64);
    if (v.type === 'Buffer' && Array.isArray(v.data)) return Uint8Array.from(v.data as number[]);
  }
  throw new ModelBundleError(
    'INVALID_INPUT',
    `The workflow's modelBytes is ${typeof value === 'object' ? 'an object of unknown shape' : `a ${typeof value}`}; expected a Uint8Array, { $base64 } or null. The copy was altered; re-save the workflow.`,
  );
}

/**
 * The same bytes as a plain Uint8Array view. A Node Buffer (from readFile or
 * msgpack) has a `slice` that shares memory instead of copying, which code
 * written for Uint8Array does not expect.
 */
export function plainView(bytes: Uint8Array): Uint8Array {
  return bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
