import { ModelBundleError } from '../errors.js';
import { LIMITS } from './constants.js';

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Walks MessagePack bytes without building anything, iteratively (no
 * recursion, so no stack overflow), and rejects what the header may not hold:
 * extension types, non-string map keys, duplicate keys in one map, keys that
 * reach object prototypes, strings that are not UTF-8, lengths that run past
 * the end, and anything over the limits. Only bytes
 * that pass are handed to the decoder, so the decoder never allocates more
 * than the header's size justifies.
 */
export function assertSafeMessagePack(bytes: Uint8Array): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // Items still expected in each open container; maps count keys and values.
  const remaining: number[] = [1];
  // Keys seen so far in each open map (null for arrays and the root).
  const keys: (Set<string> | null)[] = [null];
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
    // Every item takes at least one byte, so a count beyond the bytes left is a lie.
    if (items > bytes.length - pos) fail(`a container declares ${count} entries but only ${bytes.length - pos} bytes remain`);
    entries += count;
    if (entries > LIMITS.entries) fail(`more than ${LIMITS.entries} map entries and array items`, 'LIMIT_EXCEEDED');
    // This container's depth is remaining.length (the header map is at depth 1); empty ones count too.
    if (remaining.length > LIMITS.depth) fail(`maps and arrays nested deeper than ${LIMITS.depth} levels`, 'LIMIT_EXCEEDED');
    if (items === 0) return;
    remaining.push(items);
    keys.push(map ? new Set() : null);
  };
  const blob = (length: number, text: boolean, mapKeys: Set<string> | null): void => {
    if (length > LIMITS.stringBytes) fail(`a string or binary of ${length} bytes, over the limit of ${LIMITS.stringBytes}`, 'LIMIT_EXCEEDED');
    need(length);
    if (text) {
      // ASCII is valid UTF-8; a value's text is needed only as a key.
      let value = mapKeys ? asciiText(bytes, pos, pos + length) : isAscii(bytes, pos, pos + length) ? '' : undefined;
      if (value === undefined) {
        try {
          value = utf8.decode(bytes.subarray(pos, pos + length));
        } catch {
          fail(mapKeys ? 'a map key is not valid UTF-8' : 'a string is not valid UTF-8');
        }
      }
      if (mapKeys) {
        const key = value as string;
        if (FORBIDDEN_KEYS.has(key)) fail(`the map key "${key}" is not allowed`);
        if (mapKeys.has(key)) fail(`the map key "${key.slice(0, 64)}" appears twice in one map`);
        mapKeys.add(key);
      }
    }
    pos += length;
  };

  while (remaining.length > 0) {
    const depth = remaining.length - 1;
    const left = remaining[depth] as number;
    if (left === 0) {
      remaining.pop();
      keys.pop();
      continue;
    }
    remaining[depth] = left - 1;
    const mapKeys = left % 2 === 0 ? (keys[depth] ?? null) : null;
    const asKey = mapKeys !== null;
    need(1);
    const type = view.getUint8(pos++);
    if (asKey && !((type >= 0xa0 && type <= 0xbf) || type === 0xd9 || type === 0xda || type === 0xdb)) {
      pos--;
      fail(`map keys must be strings, found type byte 0x${type.toString(16)}`);
    }
    if (type <= 0x7f || type >= 0xe0 || type === 0xc0 || type === 0xc2 || type === 0xc3) continue;
    if (type <= 0x8f) open(type & 0x0f, true);
    else if (type <= 0x9f) open(type & 0x0f, false);
    else if (type <= 0xbf) blob(type & 0x1f, true, mapKeys);
    else if (type === 0xd9) blob(uint(1), true, mapKeys);
    else if (type === 0xda) blob(uint(2), true, mapKeys);
    else if (type === 0xdb) blob(uint(4), true, mapKeys);
    else if (type === 0xc4) blob(uint(1), false, null);
    else if (type === 0xc5) blob(uint(2), false, null);
    else if (type === 0xc6) blob(uint(4), false, null);
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

/** Longest map key read without TextDecoder: its per-call cost outweighs a short loop, and keys are short. */
const SHORT_KEY = 64;

/** True when bytes [from, to) are all ASCII. */
function isAscii(bytes: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if ((bytes[i] as number) > 0x7f) return false;
  return true;
}

/** The text of a short ASCII key, or undefined for anything else (then TextDecoder reads and checks it). */
function asciiText(bytes: Uint8Array, from: number, to: number): string | undefined {
  if (to - from > SHORT_KEY) return undefined;
  let text = '';
  for (let i = from; i < to; i++) {
    const byte = bytes[i] as number;
    if (byte > 0x7f) return undefined;
    text += String.fromCharCode(byte);
  }
  return text;
}
