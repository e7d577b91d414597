import { ModelBundleError } from '@modelbundle/core';

/** Bytes per element of each weight dtype a bundle may hold. Strings are not layers weights and are refused. */
export const DTYPE_BYTES = { float32: 4, int32: 4, bool: 1, complex64: 8 } as const;

/** A weight dtype a bundle may hold. */
export type WeightDtype = keyof typeof DTYPE_BYTES;

/** True when `dtype` is one of {@link DTYPE_BYTES}. */
export function isWeightDtype(dtype: unknown): dtype is WeightDtype {
  return typeof dtype === 'string' && Object.hasOwn(DTYPE_BYTES, dtype);
}

/**
 * Byte length of a tensor of `shape` and `dtype`, checked step by step so a
 * hostile shape cannot overflow into a small number.
 */
export function tensorByteLength(shape: readonly unknown[], dtype: WeightDtype, what: string): number {
  let size: number = DTYPE_BYTES[dtype];
  for (const dim of shape) {
    if (typeof dim !== 'number' || !Number.isSafeInteger(dim) || dim < 0) {
      throw new ModelBundleError(
        'MALFORMED',
        `${what} has shape [${shape.join(', ')}]; expected non-negative integers. The bundle is damaged or was written by a non-conforming writer.`,
      );
    }
    size *= dim;
    if (!Number.isSafeInteger(size)) {
      throw new ModelBundleError('LIMIT_EXCEEDED', `${what} has shape [${shape.join(', ')}], whose size overflows. The bundle is damaged or hostile.`);
    }
  }
  return size;
}

/** Element count of a shape (no checks: for shapes that come from a live model). */
export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/**
 * Sections hold little-endian bytes; typed arrays use the platform's order.
 * On a big-endian platform this swaps in place (a copy is made first by callers).
 */
export function toLittleEndian(bytes: Uint8Array, dtype: WeightDtype): Uint8Array {
  const width = dtype === 'bool' ? 1 : 4;
  if (LITTLE_ENDIAN || width === 1) return bytes;
  const out = new Uint8Array(bytes); // a copy (Buffer#slice would return a view)
  for (let i = 0; i + 3 < out.length; i += 4) {
    const a = out[i] as number;
    const b = out[i + 1] as number;
    out[i] = out[i + 3] as number;
    out[i + 1] = out[i + 2] as number;
    out[i + 2] = b;
    out[i + 3] = a;
  }
  return out;
}

/** Same swap in the other direction (byte swapping is its own inverse). */
export const fromLittleEndian = toLittleEndian;
