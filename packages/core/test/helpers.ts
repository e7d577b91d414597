import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Bundle, createBundle, encodeBundle, type HeaderDraft } from '@modelbundle/core';
import { FORMAT_VERSION, PREFIX_BYTES, sha256 } from '@modelbundle/core/format';
import { toHex } from '@modelbundle/core/internal';
import { draft } from '@modelbundle/testing';
import { Packr } from 'msgpackr';

/** Deterministic pseudo-random bytes (xorshift), so failures reproduce. */
export function pattern(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Byte equality without vitest's slow element-by-element diff. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** Encodes a small bundle with the given sections. */
export async function encoded(sections: [string, Uint8Array][] = [['weights', pattern(100)]], overrides: Partial<HeaderDraft> = {}): Promise<Uint8Array> {
  return encodeBundle(await createBundle(draft(overrides), sections));
}

const rawPackr = new Packr({ useRecords: false, variableMapSize: true });

/** MessagePack of any value, without the canonical rules (for hand-built, possibly hostile headers). */
export function pack(value: unknown): Uint8Array {
  return rawPackr.pack(value);
}

export interface AssembleOptions {
  major?: number;
  minor?: number;
  flags?: number;
  /** Override the recorded lengths or digest, to build lying prefixes. */
  headerLength?: number;
  fileLength?: number;
  headerDigest?: Uint8Array;
  signature?: Uint8Array;
}

/**
 * Builds a file around arbitrary header bytes, with a correct digest and
 * lengths unless overridden: the way to test what a reader does with headers
 * a conforming writer would never produce.
 */
export async function assemble(headerBytes: Uint8Array, data: Uint8Array = new Uint8Array(0), options: AssembleOptions = {}): Promise<Uint8Array> {
  const dataStart = data.length > 0 ? Math.ceil((PREFIX_BYTES + headerBytes.length) / 64) * 64 : PREFIX_BYTES + headerBytes.length;
  const out = new Uint8Array(dataStart + data.length);
  const view = new DataView(out.buffer);
  out.set([0x89, 0x4d, 0x42, 0x4e, 0x44, 0x0d, 0x0a, 0x1a]);
  view.setUint16(8, options.major ?? 1, true);
  view.setUint16(10, options.minor ?? 0, true);
  view.setUint32(12, options.flags ?? 0, true);
  view.setBigUint64(16, BigInt(options.headerLength ?? headerBytes.length), true);
  view.setBigUint64(24, BigInt(options.fileLength ?? out.length), true);
  out.set(options.headerDigest ?? (await sha256(headerBytes)), 32);
  if (options.signature) out.set(options.signature, 64);
  out.set(headerBytes, PREFIX_BYTES);
  out.set(data, dataStart);
  return out;
}

/** A header object (as a plain value) for one section of `data`, ready to pack and assemble. */
export async function headerFor(data: Uint8Array | null, overrides: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const sections = data ? [{ name: 'data', offset: 0, length: data.length, sha256: toHex(await sha256(data)) }] : [];
  return { ...draft(), format: FORMAT_VERSION, sections, ...overrides };
}

/** A fresh temp directory, removed by the returned cleanup. */
export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'mb-core-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export type { Bundle };
