/**
 * A tiny MessagePack writer for forging headers, including what a conforming
 * writer never produces (duplicate or non-string keys, extension types,
 * arbitrary raw bytes), so tests can reach every check of the reader.
 */

/** Bytes written as they are. */
export class RawBytes {
  constructor(readonly bytes: Uint8Array) {}
}

/** A map written from an entry list: keys may repeat or be any value. */
export class MapEntries {
  constructor(readonly entries: readonly (readonly [unknown, unknown])[]) {}
}

export function encodeMsgpack(value: unknown): Uint8Array {
  const out: number[] = [];
  write(value, out);
  return Uint8Array.from(out);
}

function pushAll(out: number[], bytes: Uint8Array): void {
  for (const b of bytes) out.push(b);
}

function be(out: number[], value: number | bigint, bytes: number): void {
  let v = BigInt(value);
  const tmp: number[] = [];
  for (let i = 0; i < bytes; i++) {
    tmp.unshift(Number(v & 0xffn));
    v >>= 8n;
  }
  out.push(...tmp);
}

function header(out: number[], length: number, fix: number | undefined, fixMax: number, codes: readonly [number, number, number]): void {
  if (fix !== undefined && length <= fixMax) out.push(fix | length);
  else if (length < 0x100 && codes[0] !== 0) {
    out.push(codes[0]);
    be(out, length, 1);
  } else if (length < 0x10000) {
    out.push(codes[1]);
    be(out, length, 2);
  } else {
    out.push(codes[2]);
    be(out, length, 4);
  }
}

function write(value: unknown, out: number[]): void {
  if (value instanceof RawBytes) pushAll(out, value.bytes);
  else if (value === null || value === undefined) out.push(0xc0);
  else if (value === true) out.push(0xc3);
  else if (value === false) out.push(0xc2);
  else if (typeof value === 'bigint') {
    if (value >= 0n) {
      out.push(0xcf);
      be(out, value, 8);
    } else {
      out.push(0xd3);
      be(out, BigInt.asUintN(64, value), 8);
    }
  } else if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= 0 && value <= 0x7f) out.push(value);
    else if (Number.isInteger(value) && value >= -32 && value < 0) out.push(value & 0xff);
    else if (Number.isInteger(value) && value >= 0 && value <= 0xffffffff) {
      out.push(0xce);
      be(out, value, 4);
    } else if (Number.isSafeInteger(value)) write(BigInt(value), out);
    else {
      out.push(0xcb);
      const buf = new DataView(new ArrayBuffer(8));
      buf.setFloat64(0, value);
      out.push(...new Uint8Array(buf.buffer));
    }
  } else if (typeof value === 'string') {
    const bytes = new TextEncoder().encode(value);
    header(out, bytes.length, 0xa0, 31, [0xd9, 0xda, 0xdb]);
    pushAll(out, bytes);
  } else if (value instanceof Uint8Array) {
    header(out, value.length, undefined, -1, [0xc4, 0xc5, 0xc6]);
    pushAll(out, value);
  } else if (Array.isArray(value)) {
    header(out, value.length, 0x90, 15, [0, 0xdc, 0xdd]);
    for (const item of value) write(item, out);
  } else if (value instanceof MapEntries) {
    header(out, value.entries.length, 0x80, 15, [0, 0xde, 0xdf]);
    for (const [k, v] of value.entries) {
      write(k, out);
      write(v, out);
    }
  } else if (typeof value === 'object') {
    write(new MapEntries(Object.entries(value as object).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))), out);
  } else throw new Error(`cannot encode ${typeof value}`);
}
