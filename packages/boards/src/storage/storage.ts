import type { Readable } from 'node:stream';

/** What a conditional write did. */
export type PutOutcome = 'created' | 'exists';

/** The bytes of an upload: in memory, or a local file streamed from disk. */
export type PutBody = { bytes: Uint8Array } | { file: string; size: number };

/** Options for {@link BoardStorage.put}. */
export interface PutOptions {
  /** Create only: when the key already exists, leave it alone and answer `'exists'`. */
  ifAbsent?: boolean;
  /** Called as bytes go out, with the bytes sent so far and the total. */
  onProgress?: (sent: number, total: number) => void;
}

/**
 * The few operations a board needs from a store. Keys are `/`-separated
 * paths relative to the board's root. Every backend implements this; a
 * read-only one has no `put`, `delete` or `list`.
 */
export interface BoardStorage {
  /** Where the board lives, for messages and `/metadata`: a path or a URL. */
  readonly location: string;
  /** What a create-only write guarantees under concurrent writers on this backend. */
  readonly conditionalWrites: () => Promise<'atomic' | 'check-then-write'>;
  /** The whole object, or undefined when there is none. */
  getBytes(key: string): Promise<Uint8Array | undefined>;
  /** Bytes `start` to `end` (exclusive) and the object's total size; fewer when it is shorter. Undefined when there is none. */
  getRange(key: string, start: number, end: number): Promise<{ bytes: Uint8Array; total: number } | undefined>;
  /** The object as a stream with its size, or undefined when there is none. */
  getStream(key: string): Promise<{ stream: Readable; size: number } | undefined>;
  /** Writes an object so readers see all of it or none of it. */
  put?(key: string, body: PutBody, options?: PutOptions): Promise<PutOutcome>;
  /** Removes an object; no error when it is already gone. */
  delete?(key: string): Promise<void>;
  /** Every key under `prefix` (which ends with `/`, or is empty for the whole board). */
  list?(prefix: string): Promise<string[]>;
}
