/**
 * A small MessagePack writer for the conformance vectors. By default it writes
 * the canonical form of docs/FORMAT.md section 3.2; `Raw` and `Pairs` let a
 * vector break any rule on purpose (duplicate or non-string keys, unsorted
 * keys, extension types, non-minimal lengths).
 */

/** Bytes copied into the output as they are. */
export class Raw {
  /** @param {Uint8Array | number[]} bytes */
  constructor(bytes) {
    this.bytes = Uint8Array.from(bytes);
  }
}

/** A map written with these key/value pairs in this order: keys may be anything, repeated or unsorted. */
export class Pairs {
  /** @param {[unknown, unknown][]} pairs */
  constructor(pairs) {
    this.pairs = pairs;
  }
}

const utf8 = new TextEncoder();

/** Compares strings by their UTF-8 bytes (Unicode code point order). */
export function compareUtf8(a, b) {
  const x = utf8.encode(a);
  const y = utf8.encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

/** Encodes `value` as MessagePack. */
export function encode(value) {
  const out = [];
  write(value, out);
  const bytes = new Uint8Array(out.reduce((n, c) => n + c.length, 0));
  let pos = 0;
  for (const chunk of out) {
    bytes.set(chunk, pos);
    pos += chunk.length;
  }
  return bytes;
}

function be(value, size) {
  const b = new Uint8Array(size);
  const view = new DataView(b.buffer);
  if (size === 1) view.setUint8(0, value);
  else if (size === 2) view.setUint16(0, value);
  else if (size === 4) view.setUint32(0, value);
  else view.setBigInt64(0, BigInt(value));
  return b;
}

function head(out, fix, fixMax, codes, length) {
  if (fix !== null && length <= fixMax) out.push(Uint8Array.of(fix | length));
  else if (codes[0] !== null && length <= 0xff) out.push(Uint8Array.of(codes[0]), be(length, 1));
  else if (length <= 0xffff) out.push(Uint8Array.of(codes[1]), be(length, 2));
  else out.push(Uint8Array.of(codes[2]), be(length, 4));
}

function write(value, out) {
  if (value instanceof Raw) out.push(value.bytes);
  else if (value === null || value === undefined) out.push(Uint8Array.of(0xc0));
  else if (value === false) out.push(Uint8Array.of(0xc2));
  else if (value === true) out.push(Uint8Array.of(0xc3));
  else if (typeof value === 'number' || typeof value === 'bigint') writeNumber(value, out);
  else if (typeof value === 'string') {
    const bytes = utf8.encode(value);
    head(out, 0xa0, 31, [0xd9, 0xda, 0xdb], bytes.length);
    out.push(bytes);
  } else if (value instanceof Uint8Array) {
    head(out, null, -1, [0xc4, 0xc5, 0xc6], value.length);
    out.push(value);
  } else if (Array.isArray(value)) {
    head(out, 0x90, 15, [null, 0xdc, 0xdd], value.length);
    for (const item of value) write(item, out);
  } else if (value instanceof Pairs) {
    head(out, 0x80, 15, [null, 0xde, 0xdf], value.pairs.length);
    for (const [k, v] of value.pairs) {
      write(k, out);
      write(v, out);
    }
  } else {
    const keys = Object.keys(value)
      .filter((k) => value[k] !== undefined)
      .sort(compareUtf8);
    head(out, 0x80, 15, [null, 0xde, 0xdf], keys.length);
    for (const k of keys) {
      write(k, out);
      write(value[k], out);
    }
  }
}

function writeNumber(value, out) {
  const n = Number(value);
  // Integral doubles beyond ±(2^53 − 1) are not exact integers: they stay float 64, as the reference writer does.
  if (typeof value === 'bigint' || Number.isSafeInteger(n)) {
    if (n >= 0 && n <= 0x7f) out.push(Uint8Array.of(n));
    else if (n >= 0 && n <= 0xff) out.push(Uint8Array.of(0xcc), be(n, 1));
    else if (n >= 0 && n <= 0xffff) out.push(Uint8Array.of(0xcd), be(n, 2));
    else if (n >= 0 && n <= 0xffffffff) out.push(Uint8Array.of(0xce), be(n, 4));
    else if (n < 0 && n >= -32) out.push(Uint8Array.of(n & 0xff));
    else if (n < 0 && n >= -128) out.push(Uint8Array.of(0xd0, n & 0xff));
    else if (n < 0 && n >= -32768) out.push(Uint8Array.of(0xd1), be(n & 0xffff, 2));
    else if (n < 0 && n >= -2147483648) out.push(Uint8Array.of(0xd2), be(n >>> 0, 4));
    else out.push(Uint8Array.of(0xd3), be(value, 8));
    return;
  }
  const b = new Uint8Array(9);
  b[0] = 0xcb;
  new DataView(b.buffer).setFloat64(1, n);
  out.push(b);
}
