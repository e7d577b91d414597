/** Sections hold little-endian float64 values, whatever the platform's byte order. */

/** @param {ArrayLike<number>} values @returns {Uint8Array} */
export function float64Bytes(values) {
  const bytes = new Uint8Array(values.length * 8);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat64(i * 8, values[i], true);
  return bytes;
}

/** @param {Uint8Array} bytes @returns {Float64Array} */
export function readFloat64(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Float64Array.from({ length: bytes.byteLength / 8 }, (_, i) => view.getFloat64(i * 8, true));
}
