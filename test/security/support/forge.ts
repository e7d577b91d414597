import { createHash } from 'node:crypto';
import { type Header, inspect } from '@modelbundle/core';
import { encodeMsgpack } from './msgpack.js';

/** Options for {@link forgeBundle}: prefix fields that may lie. Everything else is honest by default. */
export interface ForgeOptions {
  formatMajor?: number;
  formatMinor?: number;
  flags?: number;
  headerLength?: bigint;
  fileLength?: bigint;
  /** Defaults to the true SHA-256 of the encoded header, so the bundle gets past the digest check. */
  headerDigest?: Uint8Array;
  signature?: Uint8Array;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function sha256Bytes(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(bytes).digest());
}

/** An honest section table for sections laid out one after another, each 64-aligned. */
export function sectionTable(sections: readonly (readonly [string, Uint8Array])[]): { name: string; offset: number; length: number; sha256: string }[] {
  let end = 0;
  return sections.map(([name, data]) => {
    const offset = Math.ceil(end / 64) * 64;
    end = offset + data.length;
    return { name, offset, length: data.length, sha256: sha256Hex(data) };
  });
}

/**
 * Writes a bundle from any header value (encoded with the forging writer,
 * so it may break every rule) and section bytes laid out honestly. The
 * prefix is honest unless an option says otherwise; in particular the header
 * digest is correct, so what the header claims reaches the deeper checks.
 */
export function forgeBundle(header: unknown, sections: readonly Uint8Array[], options: ForgeOptions = {}): Uint8Array {
  const headerBytes = header instanceof Uint8Array ? header : encodeMsgpack(header);
  const base = Math.ceil((128 + headerBytes.length) / 64) * 64;
  let end = sections.length > 0 ? base : 128 + headerBytes.length;
  const offsets: number[] = [];
  for (const data of sections) {
    const start = Math.ceil(end / 64) * 64;
    offsets.push(start);
    end = start + data.length;
  }
  const out = new Uint8Array(end);
  const view = new DataView(out.buffer);
  out.set([0x89, 0x4d, 0x42, 0x4e, 0x44, 0x0d, 0x0a, 0x1a], 0);
  view.setUint16(8, options.formatMajor ?? 1, true);
  view.setUint16(10, options.formatMinor ?? 0, true);
  view.setUint32(12, options.flags ?? (options.signature ? 1 : 0), true);
  view.setBigUint64(16, options.headerLength ?? BigInt(headerBytes.length), true);
  view.setBigUint64(24, options.fileLength ?? BigInt(end), true);
  out.set(options.headerDigest ?? sha256Bytes(headerBytes), 32);
  if (options.signature) out.set(options.signature, 64);
  out.set(headerBytes, 128);
  for (const [i, data] of sections.entries()) out.set(data, offsets[i] as number);
  return out;
}

/** The header and section bytes of a valid bundle, as plain values to edit and forge again. */
export async function takeApart(bytes: Uint8Array): Promise<{ header: Header; sections: Uint8Array[] }> {
  const { header } = await inspect(bytes);
  const base = Math.ceil((128 + new DataView(bytes.buffer, bytes.byteOffset).getUint32(16, true)) / 64) * 64;
  const sections = header.sections.map((s) => bytes.slice(base + s.offset, base + s.offset + s.length));
  return { header: structuredClone(header), sections };
}
