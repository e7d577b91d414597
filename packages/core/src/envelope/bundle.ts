import semver from 'semver';
import { ModelBundleError } from '../errors.js';
import { asUint8Array, bytesEqual, isAllZero, toHex } from './bytes.js';
import { FLAG_SIGNED, FORMAT_VERSION, PREFIX_BYTES } from './constants.js';
import { type SyncDigest, sha256, sha256Sync } from './digest.js';
import { decodeHeader, encodeHeader, type Header, type SectionEntry } from './header.js';
import { checkSectionTable, dataStart, fileLength, layoutOffsets } from './layout.js';
import { decodePrefix, encodePrefix, type Prefix } from './prefix.js';
import { SIGNATURE_BYTES } from './signature.js';

/**
 * A bundle in memory: the header and the raw bytes of each section. Sections
 * are kept apart (never concatenated) so a writer can stream them; after
 * decoding they are views into the source bytes, not copies.
 */
export interface Bundle {
  readonly header: Header;
  /** Section bytes by name, in file order. */
  readonly sections: ReadonlyMap<string, Uint8Array>;
  /** The header exactly as encoded: unknown fields from a newer minor survive a rewrite. */
  readonly headerBytes: Uint8Array;
  /** SHA-256 of `headerBytes`; it covers every section through their digests. */
  readonly headerDigest: Uint8Array;
  /** Ed25519 signature over the header digest, when the bundle is signed. */
  readonly signature?: Uint8Array;
  /**
   * True when every section was checked against its digest as this bundle was
   * built or decoded; false or absent when nobody checked (`verify: false`).
   * A signature covers the sections only through their digests, so trust
   * checks verify the sections first unless this is true.
   */
  readonly verified?: boolean;
}

/** A bundle's prefix and header without its sections: what a reader that takes sections one at a time checks first. */
export type BundleHead = Omit<Bundle, 'sections' | 'verified'>;

/** The header fields a writer supplies; `format`, `sections` and digests are filled in. */
export type HeaderDraft = Omit<Header, 'format' | 'sections'>;

/** A SHA-256 implementation: bytes in, 32-byte digest out. */
export type Digest = (bytes: Uint8Array) => Promise<Uint8Array>;

/** Options for {@link createBundle}. */
export interface CreateBundleOptions {
  /**
   * The SHA-256 implementation to use. By default node:crypto where
   * available (then the digests are computed when first needed, see
   * {@link createBundle}), else WebCrypto.
   */
  digest?: Digest;
}

/**
 * A section whose bytes are made only when they are asked for (say, a
 * tensor copied out of a backend's own memory), so that a writer streaming
 * sections to a file holds one at a time instead of all of them.
 */
export interface DeferredSection {
  /** The section's length in bytes. */
  readonly byteLength: number;
  /**
   * Gives bytes [start, end) of the section: copied into `into` (at least
   * `end - start` long) and returned as a view of it there, or returned as
   * a view of memory that stays unchanged until the bundle is written.
   * `writeBundle` asks for slices of at most 1 MiB into buffers it reuses;
   * anything else that asks the bundle for the section gets it whole, in a
   * new buffer. It may be asked more than once and must give the same bytes each time.
   */
  read(start: number, end: number, into: Uint8Array): Uint8Array;
}

/** What a section is made from: its bytes, or a {@link DeferredSection} that makes them when asked. */
export type SectionData = Uint8Array | DeferredSection;

/** A digest of the right length for laying out a header before the real digests are known: the header's length does not depend on them. */
const PLACEHOLDER_DIGEST = '0'.repeat(64);

/**
 * Builds a {@link Bundle}: lays out the sections, checks the header with the
 * readers' own rules, and digests every section and the header. With the
 * default digest where SHA-256 can run synchronously (Node), the digests are
 * computed when first needed: reading `header`, `headerBytes` or
 * `headerDigest` computes them at once, and `writeBundle` computes them
 * while it writes the sections, so a save costs about the larger of hashing
 * and writing instead of their sum.
 */
export async function createBundle(
  draft: HeaderDraft,
  sections: Iterable<readonly [string, SectionData]> = [],
  options: CreateBundleOptions = {},
): Promise<Bundle> {
  const named = [...sections];
  const offsets = layoutOffsets(named.map(([, data]) => data.byteLength));
  const table = named.map(([name, data], i): SectionEntry => ({ name, offset: offsets[i] as number, length: data.byteLength, sha256: PLACEHOLDER_DIGEST }));
  const laidOut = checkedHeader({ ...draft, format: FORMAT_VERSION, sections: table } as Header);
  const map = sectionMap(named);
  // A swapped digest (a registry's DIGEST collaborator other than the default) runs now, as given.
  if ((options.digest && options.digest !== sha256) || !sha256Sync) {
    const digest = options.digest ?? sha256;
    const digests: string[] = [];
    for (const [name] of named) digests.push(toHex(await digest(map.get(name) as Uint8Array)));
    const { header, headerBytes } = withDigests(laidOut.header, digests);
    decodeHeader(headerBytes); // a swapped digest may give anything: the reader's checks judge it
    return { header, sections: map, headerBytes, headerDigest: await digest(headerBytes), verified: true };
  }
  return pendingBundle(laidOut.header, laidOut.headerBytes.length, map);
}

/** The sections as a bundle holds them: a plain map, unless some are deferred (then a map that makes those on each `get`). */
function sectionMap(named: readonly (readonly [string, SectionData])[]): ReadonlyMap<string, Uint8Array> {
  if (named.every(([, data]) => data instanceof Uint8Array)) return new Map(named as [string, Uint8Array][]);
  return new DeferredSections(new Map(named));
}

/** A bundle's sections where some are made only when asked for: each `get` (or iteration) makes them anew, and nothing keeps them. */
class DeferredSections implements ReadonlyMap<string, Uint8Array> {
  readonly #data: ReadonlyMap<string, SectionData>;

  constructor(data: ReadonlyMap<string, SectionData>) {
    this.#data = data;
  }

  get size(): number {
    return this.#data.size;
  }

  /** The deferred source of `name`, or undefined when its bytes are held as they are. */
  deferred(name: string): DeferredSection | undefined {
    const data = this.#data.get(name);
    return data === undefined || data instanceof Uint8Array ? undefined : data;
  }

  get(name: string): Uint8Array | undefined {
    const data = this.#data.get(name);
    if (data === undefined || data instanceof Uint8Array) return data;
    return readDeferred(name, data, 0, data.byteLength, new Uint8Array(data.byteLength));
  }

  has(name: string): boolean {
    return this.#data.has(name);
  }

  forEach(callback: (value: Uint8Array, key: string, map: ReadonlyMap<string, Uint8Array>) => void, thisArg?: unknown): void {
    for (const [name, bytes] of this) callback.call(thisArg, bytes, name, this);
  }

  *entries(): MapIterator<[string, Uint8Array]> {
    for (const name of this.#data.keys()) yield [name, this.get(name) as Uint8Array];
  }

  keys(): MapIterator<string> {
    return this.#data.keys();
  }

  *values(): MapIterator<Uint8Array> {
    for (const [, bytes] of this) yield bytes;
  }

  [Symbol.iterator](): MapIterator<[string, Uint8Array]> {
    return this.entries();
  }
}

/** The {@link DeferredSection} behind a bundle's section, for a writer that reads it slice by slice; undefined when the bundle holds its bytes. */
export function deferredSection(bundle: Bundle, name: string): DeferredSection | undefined {
  return bundle.sections instanceof DeferredSections ? bundle.sections.deferred(name) : undefined;
}

/** Bytes [start, end) of a deferred section, checked to be a Uint8Array of that length. */
export function readDeferred(name: string, source: DeferredSection, start: number, end: number, into: Uint8Array): Uint8Array {
  const bytes = source.read(start, end, into);
  if (!(bytes instanceof Uint8Array) || bytes.byteLength !== end - start) {
    throw new ModelBundleError(
      'INVALID_ARGUMENT',
      `Deferred section "${name}" gave ${bytes instanceof Uint8Array ? `${bytes.byteLength} bytes` : 'something other than a Uint8Array'} for bytes ${start} to ${end}. Its source changed after the bundle was laid out.`,
    );
  }
  return bytes;
}

/** Encodes a header and decodes it again with the reader's checks, so a writer can never produce a bundle readers refuse. */
function checkedHeader(header: Header): { header: Header; headerBytes: Uint8Array } {
  const headerBytes = encodeHeader(header);
  try {
    const checked = decodeHeader(headerBytes);
    checkSectionTable(headerBytes.length, checked.sections, fileLength(headerBytes.length, checked.sections));
    return { header: checked, headerBytes };
  } catch (cause) {
    if (!(cause instanceof ModelBundleError) || cause.code !== 'MALFORMED') throw cause;
    throw new ModelBundleError('INVALID_ARGUMENT', `This bundle cannot be written, because readers would refuse it: ${cause.message}`, {
      cause,
      details: cause.details,
    });
  }
}

/**
 * The checked header with the section digests filled in (hex, in table order), and its bytes. It is not
 * decoded again: `laidOut` passed the reader's checks, and digests of our own hashing are valid hex of the same length.
 */
function withDigests(laidOut: Header, digests: readonly string[]): { header: Header; headerBytes: Uint8Array } {
  const sections = laidOut.sections.map((entry, i) => ({ ...entry, sha256: digests[i] as string }));
  const header = { ...laidOut, sections };
  return { header, headerBytes: encodeHeader(header) };
}

/** What {@link createBundle} leaves to the writer of a bundle whose digests are not computed yet. */
export interface PendingDigests {
  /** The header's encoded length: it is the same with any digests. */
  readonly headerLength: number;
  /** The section table, offsets and lengths final, digests not yet. */
  readonly table: readonly SectionEntry[];
  /** True once the digests are in (then the bundle is an ordinary one). */
  readonly done: () => boolean;
  /** Fills in the section digests (lower-case hex, in table order). */
  readonly finish: (digests: readonly string[]) => void;
}

/** The key of a bundle's {@link PendingDigests}, for writers that hash as they write. */
export const PENDING_DIGESTS = Symbol.for('@modelbundle/core.pendingDigests');

/** The pending digests of a bundle from createBundle, or undefined when they are computed (or it is any other bundle). */
export function pendingDigests(bundle: Bundle): PendingDigests | undefined {
  const pending = (bundle as { [PENDING_DIGESTS]?: PendingDigests })[PENDING_DIGESTS];
  return pending && !pending.done() ? pending : undefined;
}

function pendingBundle(laidOut: Header, headerLength: number, sections: ReadonlyMap<string, Uint8Array>): Bundle {
  let final: { header: Header; headerBytes: Uint8Array; headerDigest: Uint8Array } | undefined;
  const finish = (digests: readonly string[]): void => {
    if (final) return;
    const { header, headerBytes } = withDigests(laidOut, digests);
    if (headerBytes.length !== headerLength) {
      throw new ModelBundleError('INTERNAL', `The header changed length (${headerLength} to ${headerBytes.length} bytes) when its digests were filled in.`);
    }
    final = { header, headerBytes, headerDigest: (sha256Sync as SyncDigest)(headerBytes) };
  };
  const computed = () => {
    if (!final) {
      finish(
        laidOut.sections.map((entry) => {
          const data = sections.get(entry.name) as Uint8Array;
          assertUnchanged(entry, data);
          return toHex((sha256Sync as SyncDigest)(data));
        }),
      );
    }
    return final as NonNullable<typeof final>;
  };
  const bundle = { sections, verified: true } as Bundle;
  // Own, enumerable getters: `{ ...bundle }` copies the finished values.
  for (const key of ['header', 'headerBytes', 'headerDigest'] as const) {
    Object.defineProperty(bundle, key, { enumerable: true, get: () => computed()[key] });
  }
  const pending: PendingDigests = { headerLength, table: laidOut.sections, done: () => final !== undefined, finish };
  Object.defineProperty(bundle, PENDING_DIGESTS, { enumerable: false, value: pending });
  return bundle;
}

/** Sections must keep the length the table records between createBundle and writing. */
export function assertUnchanged(entry: SectionEntry, data: Uint8Array | undefined): asserts data is Uint8Array {
  if (!data || data.byteLength !== entry.length) {
    throw new ModelBundleError(
      'INVALID_ARGUMENT',
      `Section "${entry.name}" is ${data ? `${data.byteLength} bytes` : 'missing'}, but the header records ${entry.length} bytes. Sections must not change after createBundle(); build the bundle again.`,
      { details: { region: `section:${entry.name}` } },
    );
  }
}

/** The prefix for a bundle, as written at the start of its file. */
export function bundlePrefix(bundle: BundleHead): Uint8Array {
  const [major, minor] = bundle.header.format.split('.').map(Number);
  const prefix: Prefix = {
    formatMajor: major as number,
    formatMinor: minor as number,
    flags: bundle.signature ? FLAG_SIGNED : 0,
    headerLength: bundle.headerBytes.length,
    fileLength: fileLength(bundle.headerBytes.length, bundle.header.sections),
    headerDigest: bundle.headerDigest,
  };
  if (bundle.signature) {
    if (bundle.signature.byteLength !== SIGNATURE_BYTES) {
      throw new ModelBundleError(
        'INVALID_ARGUMENT',
        `The bundle's signature is ${bundle.signature.byteLength} bytes; an Ed25519 signature is ${SIGNATURE_BYTES}. Sign signatureMessage(bundle.headerDigest) again.`,
      );
    }
    prefix.signature = bundle.signature;
  }
  return encodePrefix(prefix);
}

/**
 * Yields the bytes of a bundle's file in order (prefix, header, padding,
 * sections), without concatenating them: write them one after another.
 */
export function* bundleChunks(bundle: Bundle): Generator<Uint8Array> {
  yield bundlePrefix(bundle);
  yield bundle.headerBytes;
  let pos = PREFIX_BYTES + bundle.headerBytes.length;
  const base = dataStart(bundle.headerBytes.length);
  for (const entry of bundle.header.sections) {
    const target = base + entry.offset;
    if (target > pos) yield new Uint8Array(target - pos);
    const data = bundle.sections.get(entry.name);
    assertUnchanged(entry, data);
    yield data;
    pos = target + data.byteLength;
  }
}

/** The complete file bytes of a bundle, in one buffer. For large bundles prefer `writeBundle`, which streams. */
export function encodeBundle(bundle: Bundle): Uint8Array {
  const out = new Uint8Array(fileLength(bundle.headerBytes.length, bundle.header.sections));
  let pos = 0;
  for (const chunk of bundleChunks(bundle)) {
    out.set(chunk, pos);
    pos += chunk.byteLength;
  }
  return out;
}

/** What {@link inspect} returns: the header and the prefix facts, without any section bytes. */
export interface Inspection {
  header: Header;
  /** Total size of the bundle, from the prefix. */
  fileLength: number;
  /** Size of the MessagePack header that follows the 128-byte prefix. */
  headerLength: number;
  /** SHA-256 of the header, lower-case hex. */
  headerDigest: string;
  /** True when the prefix carries a signature (it is not verified here). */
  signed: boolean;
}

/**
 * Reads the prefix and header of a bundle (checking the header digest) and
 * nothing else. `bytes` may be the whole file or just its first
 * `128 + headerLength` bytes.
 */
export async function inspect(bytes: ArrayBuffer | ArrayBufferView): Promise<Inspection> {
  const { header, prefix } = await readHead(asUint8Array(bytes));
  return inspection(header, prefix);
}

/** The {@link Inspection} of a checked prefix and header; every inspect flavour (bytes, file, URL) returns this. */
export function inspection(header: Header, prefix: Prefix): Inspection {
  return {
    header,
    fileLength: prefix.fileLength,
    headerLength: prefix.headerLength,
    headerDigest: toHex(prefix.headerDigest),
    signed: prefix.signature !== undefined,
  };
}

/** Options for {@link decodeBundle}. */
export interface DecodeOptions {
  /** Check every section digest (default true). Turn off only for bytes already verified. */
  verify?: boolean;
  /** The SHA-256 implementation for the section checks (default: node:crypto where available, else WebCrypto). */
  digest?: Digest;
}

/**
 * Decodes a complete bundle: prefix, header digest, header, section table,
 * padding, and (unless turned off) every section digest. Sections come back
 * as views into `input`.
 */
export async function decodeBundle(input: ArrayBuffer | ArrayBufferView, options: DecodeOptions = {}): Promise<Bundle> {
  const bytes = asUint8Array(input);
  const { header, prefix, headerBytes } = await readHead(bytes, bytes.length);
  checkSectionTable(prefix.headerLength, header.sections, bytes.length);
  const base = dataStart(prefix.headerLength);
  assertZeroPadding(bytes, PREFIX_BYTES + prefix.headerLength, base, 'header');
  const sections = new Map<string, Uint8Array>();
  let end = base;
  for (const entry of header.sections) {
    const start = base + entry.offset;
    assertZeroPadding(bytes, end, start, `section:${entry.name}`);
    sections.set(entry.name, bytes.subarray(start, start + entry.length));
    end = start + entry.length;
  }
  const verify = options.verify !== false;
  const bundle: Bundle = {
    header,
    sections,
    headerBytes,
    headerDigest: prefix.headerDigest,
    verified: verify,
    ...(prefix.signature ? { signature: prefix.signature } : {}),
  };
  if (verify) await verifySections(bundle, options.digest);
  return bundle;
}

/** One section's digest check, from {@link checkSections}. */
export interface SectionCheck {
  name: string;
  length: number;
  /** The digest the header records. */
  sha256: string;
  ok: boolean;
  /** The digest actually found (or `missing`), when it differs. */
  found?: string;
}

/** Checks every section against its digest and reports each one, damaged or not (`verify` lists them all). */
export async function checkSections(bundle: Bundle, digestOf: Digest = sha256): Promise<SectionCheck[]> {
  const checks: SectionCheck[] = [];
  for (const entry of bundle.header.sections) {
    const data = bundle.sections.get(entry.name);
    const found = data ? toHex(await digestOf(data)) : 'missing';
    const ok = found === entry.sha256;
    checks.push({ name: entry.name, length: entry.length, sha256: entry.sha256, ok, ...(ok ? {} : { found }) });
  }
  return checks;
}

/** Checks every section against its digest; throws CORRUPT naming the first damaged section. */
export async function verifySections(bundle: Bundle, digestOf: Digest = sha256): Promise<void> {
  for (const entry of bundle.header.sections) {
    const data = bundle.sections.get(entry.name);
    if (!data || data.byteLength !== entry.length) {
      throw new ModelBundleError('MALFORMED', `Section "${entry.name}" is missing or has the wrong length. Decode the bundle again from its file.`, {
        details: { region: `section:${entry.name}` },
      });
    }
    checkSectionDigest(entry, toHex(await digestOf(data)));
  }
}

/** Throws CORRUPT when `digest` (lower-case hex) is not the one the section's table entry records. */
export function checkSectionDigest(entry: SectionEntry, digest: string): void {
  if (digest !== entry.sha256) {
    throw new ModelBundleError(
      'CORRUPT',
      `Section "${entry.name}" is damaged: its SHA-256 is ${digest}, the header records ${entry.sha256}. The file was modified or corrupted in transit; copy it again from the source.`,
      { details: { region: `section:${entry.name}`, expected: entry.sha256, found: digest } },
    );
  }
}

/** Reads the prefix and header, verifying the header digest and the prefix/header agreement. */
export async function readHead(bytes: Uint8Array, available?: number): Promise<{ prefix: Prefix; header: Header; headerBytes: Uint8Array }> {
  const prefix = decodePrefix(bytes, available);
  const end = PREFIX_BYTES + prefix.headerLength;
  if (bytes.length < end) {
    throw new ModelBundleError(
      'TRUNCATED',
      `Bundle is truncated: ${bytes.length} bytes, but its header ends at byte ${end}. The file was cut off while being written or copied; copy it again.`,
      { details: { region: 'header', expected: end, found: bytes.length } },
    );
  }
  const headerBytes = bytes.subarray(PREFIX_BYTES, end);
  const digest = await sha256(headerBytes);
  if (!bytesEqual(digest, prefix.headerDigest)) {
    throw new ModelBundleError(
      'CORRUPT',
      `Header is damaged: its SHA-256 is ${toHex(digest)}, the prefix records ${toHex(prefix.headerDigest)}. The file was modified or corrupted in transit; copy it again from the source.`,
      { details: { region: 'header', expected: toHex(prefix.headerDigest), found: toHex(digest) } },
    );
  }
  const header = decodeHeader(headerBytes);
  const version = semver.parse(header.format);
  if (!version || version.major !== prefix.formatMajor || version.minor !== prefix.formatMinor) {
    throw new ModelBundleError(
      'MALFORMED',
      `Header format ${header.format} disagrees with the prefix (${prefix.formatMajor}.${prefix.formatMinor}). The bundle was written by a non-conforming writer.`,
      { details: { region: 'prefix', field: 'format' } },
    );
  }
  return { prefix, header, headerBytes };
}

function assertZeroPadding(bytes: Uint8Array, from: number, to: number, region: string): void {
  if (!isAllZero(bytes.subarray(from, to))) {
    throw new ModelBundleError(
      'CORRUPT',
      `Alignment padding before ${region} holds non-zero bytes (file bytes ${from}..${to}). The file was modified or corrupted; copy it again from the source.`,
      { details: { region: `padding:${region}` } },
    );
  }
}
