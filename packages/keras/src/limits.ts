/**
 * Bounds for reading untrusted Keras files. Every size the file declares is
 * checked against these (and against the file's own length) before anything
 * is allocated for it.
 */
export interface KerasLimits {
  /** Largest total of decompressed zip entries read, in bytes (default 4 GiB). */
  maxDecompressedBytes: number;
  /** Largest decompressed/compressed ratio of one zip entry above 1 MiB (default 1000). */
  maxCompressionRatio: number;
  /** Most entries a `.keras` zip may list (default 10,000). */
  maxZipEntries: number;
  /** Largest config.json / metadata.json / model_config text, in bytes (default 64 MiB). */
  maxConfigBytes: number;
  /** Deepest nesting of JSON values, HDF5 groups and nested models (default 64). */
  maxDepth: number;
  /** Most weight tensors one model may hold (default 100,000). */
  maxWeights: number;
  /** Most layers one model may hold, nested ones included (default 100,000). */
  maxLayers: number;
}

/** The default {@link KerasLimits}. */
export const DEFAULT_LIMITS: Readonly<KerasLimits> = Object.freeze({
  maxDecompressedBytes: 4 * 1024 ** 3,
  maxCompressionRatio: 1000,
  maxZipEntries: 10_000,
  maxConfigBytes: 64 * 1024 ** 2,
  maxDepth: 64,
  maxWeights: 100_000,
  maxLayers: 100_000,
});
