import { ModelBundleError } from '../errors.js';
import { LIMITS } from './constants.js';

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Walks MessagePack bytes without building anything, iteratively (no
 * recursion, so no stack overflow), and rejects what the header may not hold:
 * extension types, non-string map keys, keys that reach object prototypes,
 * lengths that run past the end, and anything over the limits. Only bytes
 * that pass are handed to the decoder, so the decoder never allocates more
 * than the header's size justifies.
 */
export function assertSafeMessagePack(bytes: Uint8Array): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // Items still expected in each open container; maps count keys and values.
  const remaining: number[] = [1];
  const isMap: boolean[] = [false];
  let pos = 0;
  let entries = 0;

  const fail = (message: string, code: 'MALFORMED' | 'LIMIT_EXCEEDED' = 'MALFORMED'): never => {
    throw new ModelBundleError(
      code,
      `Header is not valid: ${message} (at header byte ${pos}). The bundle is damaged or was not written by a conforming writer.`,
      {
        details: { region: 'header', offset: pos },
      },
    );
  };
  const need = (n: number): void => {
    if (pos + n > bytes.length) fail(`a value needs ${n} more bytes but the header ends`);
  };
  const skip = (n: number): void => {
    need(n);
    pos += n;
  };
  const uint = (size: 1 | 2 | 4): number => {
    need(size);
    const v = size === 1 ? view.getUint8(pos) : size === 2 ? view.getUint16(pos) : view.getUint32(pos);
    pos += size;
    return v;
  };
  const open = (count: number, map: boolean): void => {
    const items = map ? count * 2 : count;
    entries += count;
    if (entries > LIMITS.entries) fail(`more than ${LIMITS.entries} map entries and array items`, 'LIMIT_EXCEEDED');
    // Every item takes at least one byte, so a count beyond the bytes left is a lie.
    if (items > bytes.length - pos) fail(`a container declares ${count} entries but only ${bytes.length - pos} bytes remain`);
    if (items === 0) return;
    if (remaining.length > LIMITS.depth) fail(`nesting deeper than ${LIMITS.depth} levels`, 'LIMIT_EXCEEDED');
    remaining.push(items);
    isMap.push(map);
  };
  const blob = (length: number, asKey: boolean): void => {
    if (length > LIMITS.stringBytes) fail(`a string or binary of ${length} bytes, over the limit of ${LIMITS.stringBytes}`, 'LIMIT_EXCEEDED');
    need(length);
    if (asKey) {
      let key: string;
      try {
        key = utf8.decode(bytes.subarray(pos, pos + length));
      } catch {
        key = fail('a map key is not valid UTF-8');
      }
      if (FORBIDDEN_KEYS.has(key)) fail(`the map key "${key}" is not allowed`);
    }
    pos += length;
  };

  while (remaining.length > 0) {
    const depth = remaining.length - 1;
    const left = remaining[depth] as number;
    if (left === 0) {
      remaining.pop();
      isMap.pop();
      continue;
    }
    remaining[depth] = left - 1;
    const asKey = (isMap[depth] as boolean) && left % 2 === 0;
    need(1);
    const type = view.getUint8(pos++);
    if (asKey && !((type >= 0xa0 && type <= 0xbf) || type === 0xd9 || type === 0xda || type === 0xdb)) {
      pos--;
      fail(`map keys must be strings, found type byte 0x${type.toString(16)}`);
    }
    if (type <= 0x7f || type >= 0xe0 || type === 0xc0 || type === 0xc2 || type === 0xc3) continue;
    if (type <= 0x8f) open(type & 0x0f, true);
    else if (type <= 0x9f) open(type & 0x0f, false);
    else if (type <= 0xbf) blob(type & 0x1f, asKey);
    else if (type === 0xc4 || type === 0xd9) blob(uint(1), asKey);
    else if (type === 0xc5 || type === 0xda) blob(uint(2), asKey);
    else if (type === 0xc6 || type === 0xdb) blob(uint(4), asKey);
    else if (type === 0xca) skip(4);
    else if (type === 0xcb) skip(8);
    else if (type === 0xcc || type === 0xd0) skip(1);
    else if (type === 0xcd || type === 0xd1) skip(2);
    else if (type === 0xce || type === 0xd2) skip(4);
    else if (type === 0xcf || type === 0xd3) skip(8);
    else if (type === 0xdc) open(uint(2), false);
    else if (type === 0xdd) open(uint(4), false);
    else if (type === 0xde) open(uint(2), true);
    else if (type === 0xdf) open(uint(4), true);
    else {
      pos--;
      fail(type === 0xc1 ? 'the never-used type byte 0xc1' : `MessagePack extension type 0x${type.toString(16)}, which format 1 does not allow`);
    }
  }
  if (pos !== bytes.length) fail(`${bytes.length - pos} bytes follow the header's single value`);
}
