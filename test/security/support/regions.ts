import type { ErrorCode, Header } from '@modelbundle/core';

/**
 * The regions a flip of `byte` may be reported in. A length or digest field
 * in the prefix is reported as the region it delimits or covers (a wrong
 * header digest and a damaged header are the same observation).
 */
export function damagedRegions(byte: number, header: Header, headerLength: number, signed: boolean): string[] {
  if (byte < 16) return ['prefix']; // magic, version, flags
  if (byte < 24) return ['prefix', 'header']; // header length
  if (byte < 32) return ['prefix', 'file']; // file length
  if (byte < 64) return ['header']; // header digest
  if (byte < 128) return signed ? ['signature'] : ['prefix'];
  if (byte < 128 + headerLength) return ['header'];
  const base = Math.ceil((128 + headerLength) / 64) * 64;
  if (byte < base) return ['padding:header'];
  for (const s of header.sections) {
    if (byte < base + s.offset) return [`padding:section:${s.name}`];
    if (byte < base + s.offset + s.length) return [`section:${s.name}`];
  }
  throw new Error(`byte ${byte} lies beyond the last section`);
}

/** Every error code a damaged bundle may be reported with. */
export const DAMAGE_CODES: ErrorCode[] = ['NOT_A_BUNDLE', 'UNSUPPORTED_FORMAT', 'TRUNCATED', 'CORRUPT', 'MALFORMED', 'LIMIT_EXCEEDED', 'SIGNATURE_INVALID'];
