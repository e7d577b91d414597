import type { Bundle, DeferredSection, SectionData } from '../envelope/bundle.js';
import type { Header } from '../envelope/header.js';
import type { PtypeDeclaration } from '../rows/ptype.js';
import type { Registry } from './registry.js';

/** What a serializer produces from a value: header fields plus raw sections. */
export interface BundleParts {
  /** Small serializer-specific values kept in the header's `payload`. */
  payload?: Record<string, unknown>;
  /**
   * Raw bytes by name, in the order they are written. Large data belongs
   * here. A {@link DeferredSection} makes its bytes only when the bundle's
   * writer reaches it, so a value whose data lives elsewhere (a backend's
   * memory) is never copied out whole; its source must outlive the bundle.
   */
  sections?: Iterable<readonly [string, SectionData]>;
  /** What `inspect` shows about the model without loading it. */
  summary?: Record<string, unknown>;
  /**
   * The input/output prototype (column names and types, or tensor inputs),
   * for validation and docs; consumers read it with `readPtype`.
   */
  ptype?: PtypeDeclaration | null;
  /** Runtime packages the payload needs to be restored: npm name to semver range. */
  requires?: Record<string, string>;
}

/** What a serializer receives to restore a value. */
export interface UnbundleParts {
  /** The whole header, for the fields a serializer may want (metadata, prototype, ...). */
  header: Header;
  /** The payload version the bundle was written with (after any migrations: the migrated version). */
  version: string;
  /** The header's `payload` map (after any migrations: the migrated one). */
  payload: Record<string, unknown>;
  /** Section bytes by name; views into the decoded bytes, 64-byte aligned in the file. */
  sections: ReadonlyMap<string, Uint8Array>;
}

/**
 * Sections read on demand (a large file read one section at a time): their
 * lengths up front, their bytes when asked. `read` checks each section
 * against its digest before it resolves; with `into` (a buffer at least the
 * section's length) it reads into that buffer, which the caller may reuse
 * once it has copied the bytes out.
 */
export interface SectionSource {
  readonly lengths: ReadonlyMap<string, { readonly byteLength: number }>;
  read(name: string, into?: Uint8Array): Promise<Uint8Array>;
}

/** What a serializer receives to restore a value whose sections are read on demand: {@link UnbundleParts} with a {@link SectionSource}. */
export interface StreamedParts extends Omit<UnbundleParts, 'sections'> {
  sections: SectionSource;
}

/** Passed to serializer hooks. */
export interface SerializerContext {
  /** The registry in use, so a serializer can bundle nested values; absent when a package calls its own serializer directly. */
  registry?: Registry;
  /** Per-call options from `bundle(value, { options })`, for example `{ includeOptimizer: true }`. Unknown keys are ignored. */
  options: Readonly<Record<string, unknown>>;
}

/** Turns the payload of an older version into the next one. */
export interface PayloadMigration {
  /** Semver range of payload versions this migration accepts. */
  from: string;
  /** The payload version it produces. */
  to: string;
  migrate(parts: UnbundleParts): UnbundleParts | Promise<UnbundleParts>;
}

/** A generic way to predict with a restored value, for consumers that know nothing of its library. */
export interface Predictor {
  /** The input prototype (ptype): the columns or tensor inputs `predict` expects; `readPtype` reads it. */
  readonly ptype: PtypeDeclaration | null;
  /** The prediction types this model supports (for example numeric, class, prob). */
  readonly types: readonly string[];
  /**
   * Predicts one output row per input row. A row is whatever the ptype
   * describes: usually an object of named columns, for some models a plain
   * array of numbers. Bad rows throw `INVALID_INPUT`.
   */
  predict(rows: readonly unknown[], options?: { type?: string }): Promise<Record<string, unknown>[]>;
}

/**
 * Saves and restores one kind of value. Registered on a {@link Registry}
 * by an explicit call; never on import.
 */
export interface Serializer<T = unknown> {
  /** Stable identity written in every bundle, e.g. `tfjs.sequential`. */
  readonly kind: string;
  /** The npm package that provides this serializer, recorded for autoload and error messages. */
  readonly package?: string;
  /** The name under which that package exports its plugin (see {@link ModelBundlePlugin}). */
  readonly pluginExport?: string;
  /** The payload version this serializer writes (semver). */
  readonly version: string;
  /** The payload versions it reads directly (semver range). */
  readonly reads: string;
  /** Steps from older payload versions up to one that `reads` accepts. */
  readonly migrations?: readonly PayloadMigration[];
  /** Versions of the runtime packages this serializer is running with, to check `requires` against. */
  readonly runtime?: Record<string, string>;
  /** True when this serializer can bundle `value`. */
  canBundle(value: unknown): boolean;
  /** Turns a value into header fields and raw sections. Never called with a value `canBundle` refused. */
  bundle(value: T, context: SerializerContext): BundleParts | Promise<BundleParts>;
  /**
   * Restores a value from a decoded, verified bundle whose payload version
   * `reads` accepts (migrated first when needed). Must not evaluate anything
   * from the bundle; classes come only from registries the application filled.
   */
  unbundle(parts: UnbundleParts, context: SerializerContext): T | Promise<T>;
  /**
   * Optional: restores from sections read one at a time, for a value that
   * puts each section somewhere else as it arrives (a model's weights into a
   * backend's own memory), so a large file is never held whole. Same
   * contract as `unbundle`, and a section's bytes are only valid until the
   * next read when it reads with `into`. Used by `unbundleFile` for large
   * files whose payload `reads` accepts as it is.
   */
  unbundleStreamed?(parts: StreamedParts, context: SerializerContext): T | Promise<T>;
  /** Optional capability: a generic predictor over a restored value. */
  predictor?(value: T): Predictor;
}

/** A set of serializers that a package exports and an application registers in one call. */
export interface ModelBundlePlugin {
  /** A name for messages, usually the npm package name. */
  readonly name: string;
  /** The serializers `registerPlugin` registers, in order. */
  readonly serializers: readonly Serializer<any>[];
}

/** Anything `unbundle` accepts: a decoded bundle, raw bytes, a Blob or a fetch Response. */
export type BundleSource = Bundle | ArrayBuffer | ArrayBufferView | Blob | Response;
