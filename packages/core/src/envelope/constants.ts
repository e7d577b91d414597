/** The format version this implementation writes. Readers accept `^1`. */
export const FORMAT_VERSION = '1.0.0';

/** The first 8 bytes of every bundle: `\x89MBND\r\n\x1a` (a high byte and line endings catch text-mode damage). */
export const MAGIC = Uint8Array.of(0x89, 0x4d, 0x42, 0x4e, 0x44, 0x0d, 0x0a, 0x1a);

/** Size of the fixed prefix that precedes the header. */
export const PREFIX_BYTES = 128;

/** Every section starts at a multiple of this many bytes. */
export const ALIGNMENT = 64;

/** Prefix flag bit: the signature field holds an Ed25519 signature. */
export const FLAG_SIGNED = 1;

/** Bounds every reader enforces (docs/FORMAT.md, "Limits"). */
export const LIMITS = {
  /** Largest header, in bytes. */
  headerBytes: 16 * 1024 * 1024,
  /** Most sections in one bundle. */
  sections: 65_536,
  /** Deepest nesting of maps and arrays in the header. */
  depth: 32,
  /** Longest string or binary value in the header, in bytes. */
  stringBytes: 1024 * 1024,
  /** Most map entries plus array items in the whole header. */
  entries: 1_000_000,
  /** Largest `metadata` value, encoded, in bytes. */
  metadataBytes: 1024 * 1024,
  /** Longest section name, in characters. */
  sectionName: 256,
  /** Largest file: offsets must stay exact in a double. */
  fileBytes: Number.MAX_SAFE_INTEGER,
} as const;
