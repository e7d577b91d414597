import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the committed vectors live. */
export const VECTORS_DIR = dirname(fileURLToPath(import.meta.url));

/** What a valid vector's JSON says a reader must report. */
export interface ValidExpectation {
  description: string;
  valid: true;
  header: Record<string, unknown>;
  headerDigest: string;
  fileLength: number;
  signed: boolean;
  sections: { name: string; length: number; sha256: string }[];
  /** Raw Ed25519 public key (hex) of a signed vector. */
  publicKey?: string;
}

/** What an invalid vector's JSON says a reader must raise. */
export interface InvalidExpectation {
  description: string;
  valid: false;
  error: string;
  region?: string;
  /** Facts the error's details must include (e.g. `upgradeTo` for a newer major). */
  details?: Record<string, unknown>;
}

/** One vector: its name, file path, bytes and expected outcome. */
export interface Vector<E> {
  name: string;
  path: string;
  bytes: Uint8Array;
  expected: E;
}

/** The vectors in one folder (`valid` or `invalid`) of `dir`, sorted by name. */
export function loadVectors<E>(folder: 'valid' | 'invalid', dir = VECTORS_DIR): Vector<E>[] {
  const base = join(dir, folder);
  return readdirSync(base)
    .filter((f) => f.endsWith('.mbnd'))
    .sort()
    .map((file) => {
      const name = file.slice(0, -'.mbnd'.length);
      const path = join(base, file);
      return { name, path, bytes: new Uint8Array(readFileSync(path)), expected: JSON.parse(readFileSync(join(base, `${name}.json`), 'utf8')) as E };
    });
}

/** Header values as JSON, binary as {"$hex": ...}: the convention of the expected-outcome files. */
export function toJson(value: unknown): unknown {
  if (value instanceof Uint8Array) return { $hex: Buffer.from(value).toString('hex') };
  if (Array.isArray(value)) return value.map(toJson);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJson(v)]));
  return value;
}
