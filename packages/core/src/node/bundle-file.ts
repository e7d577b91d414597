import { createHash } from 'node:crypto';
import { type FileHandle, open } from 'node:fs/promises';
import { type BundleHead, checkSectionDigest, readHead } from '../envelope/bundle.js';
import { isAllZero } from '../envelope/bytes.js';
import { PREFIX_BYTES } from '../envelope/constants.js';
import { checkSectionTable, dataStart } from '../envelope/layout.js';
import { decodePrefix } from '../envelope/prefix.js';
import { ModelBundleError } from '../errors.js';
import { ioError, readExactly } from './file-io.js';

/** Options for {@link openBundleFile}. */
export interface OpenBundleFileOptions {
  /** Check each section's digest as it is read (default true). */
  verify?: boolean;
  /**
   * Called once the header is read, then after each slice (at most 4 MiB)
   * of a section read for the first time, with the bytes read so far and
   * the file size. Each section counts once, with the padding before it, so
   * the count reaches the file size when every section has been read.
   */
  onProgress?: (read: number, total: number) => void;
}

/**
 * A bundle file opened for reading one section at a time: the header is
 * read and checked, no section yet. For loaders that put each section
 * somewhere else as soon as it is read (a model's weights into a backend's
 * own memory), so the file's bytes are never all held at once. Close it when done.
 */
export interface BundleFile {
  /** The file's path, for messages. */
  readonly path: string;
  /** The prefix's and header's contents, the header digest checked. */
  readonly head: BundleHead;
  /**
   * Reads one section named in the header, checks that the padding before
   * it is zero and (unless `verify: false`) its SHA-256, hashing each slice
   * while the next is read. Into `into` (a buffer at least the section's
   * length, which a caller that copies each section out can reuse) when
   * given, else into a new buffer of its own. Resolves with the section's bytes.
   */
  readSection(name: string, into?: Uint8Array): Promise<Uint8Array>;
  /**
   * The SHA-256 (lower-case hex) of one section, its padding checked, read
   * slice by slice through two buffers of at most 4 MiB and kept nowhere:
   * checking a section of any size takes at most 8 MiB. The caller compares
   * it with the header's.
   */
  digestSection(name: string): Promise<string>;
  /** Closes the file; reads in flight finish first. */
  close(): Promise<void>;
}

/** A section is read and hashed in slices of this size, so hashing one slice overlaps reading the next. */
const SLICE_BYTES = 4 * 1024 * 1024;

/** Opens a bundle file and reads its prefix and header (the header digest and section table checked). */
export async function openBundleFile(path: string, options: OpenBundleFileOptions = {}): Promise<BundleFile> {
  const verify = options.verify !== false;
  const handle = await open(path, 'r').catch((e) => Promise.reject(ioError('open', path, e)));
  try {
    const size = (await handle.stat()).size;
    const { head, base, headEnd } = await readFileHead(handle, size);
    options.onProgress?.(headEnd, size);
    const progress = options.onProgress && sectionProgress(headEnd, size, options.onProgress);
    return sectionReader(path, handle, head, base, verify, progress);
  } catch (e) {
    await handle.close();
    throw ioError('read', path, e);
  }
}

/**
 * Reads and checks a bundle file's prefix and header: the header digest,
 * the section table against the file size, the zero padding after the
 * header. Gives the head and the file position where the data region starts.
 */
export async function readFileHead(handle: FileHandle, size: number): Promise<{ head: BundleHead; base: number; headEnd: number }> {
  const prefixBytes = await readExactly(handle, 0, Math.min(PREFIX_BYTES, size));
  const prefix = decodePrefix(prefixBytes, size);
  const base = dataStart(prefix.headerLength);
  const headEnd = Math.min(base, size);
  const bytes = new Uint8Array(headEnd);
  bytes.set(prefixBytes);
  await readExactly(handle, PREFIX_BYTES, headEnd - PREFIX_BYTES, bytes.subarray(PREFIX_BYTES));
  const { header, headerBytes } = await readHead(bytes, size);
  checkSectionTable(prefix.headerLength, header.sections, size);
  if (header.sections.length > 0) assertZeroPadding(bytes.subarray(PREFIX_BYTES + prefix.headerLength, headEnd), 'header');
  const head: BundleHead = {
    header,
    headerBytes: headerBytes.slice(),
    headerDigest: prefix.headerDigest,
    ...(prefix.signature ? { signature: prefix.signature } : {}),
  };
  return { head, base, headEnd };
}

/** Counts bytes read towards `total`: each section once (a second read of it adds nothing), with the padding before it. */
function sectionProgress(headEnd: number, total: number, onProgress: (read: number, total: number) => void) {
  const counted = new Set<string>();
  let read = headEnd;
  return (name: string): ((bytes: number) => void) | undefined => {
    if (counted.has(name)) return undefined;
    counted.add(name);
    return (bytes) => {
      if (bytes === 0) return;
      read += bytes;
      onProgress(read, total);
    };
  };
}

function sectionReader(
  path: string,
  handle: FileHandle,
  head: BundleHead,
  base: number,
  verify: boolean,
  progress: ReturnType<typeof sectionProgress> | undefined,
): BundleFile {
  const entries = new Map(head.header.sections.map((entry, i) => [entry.name, { entry, previous: head.header.sections[i - 1] }]));
  let inFlight: Promise<unknown> = Promise.resolve();
  /** The section's entry and file position, its padding read and checked, and the progress counter for its bytes. */
  const locate = async (name: string) => {
    const found = entries.get(name);
    if (!found) {
      throw new ModelBundleError('INVALID_ARGUMENT', `The bundle has no section "${name}". Its sections: ${[...entries.keys()].join(', ') || 'none'}.`);
    }
    const { entry, previous } = found;
    const start = base + entry.offset;
    const paddingStart = previous ? base + previous.offset + previous.length : start;
    if (start > paddingStart) assertZeroPadding(await readExactly(handle, paddingStart, start - paddingStart), `section:${name}`);
    const counted = progress?.(name);
    counted?.(start - paddingStart);
    return { entry, start, counted };
  };
  const read = async (name: string, into: Uint8Array | undefined): Promise<Uint8Array> => {
    const length = entries.get(name)?.entry.length ?? 0;
    if (into && into.byteLength < length) {
      throw new ModelBundleError('INVALID_ARGUMENT', `Section "${name}" is ${length} bytes; the buffer given for it holds ${into.byteLength}.`);
    }
    const { entry, start, counted } = await locate(name);
    const bytes = into ? into.subarray(0, entry.length) : allocate(entry.length);
    const hash = verify ? createHash('sha256') : undefined;
    await readSlices(
      handle,
      start,
      entry.length,
      (from) => bytes.subarray(from),
      (slice) => {
        counted?.(slice.byteLength);
        hash?.update(slice);
      },
    );
    if (hash) checkSectionDigest(entry, hash.digest('hex'));
    return bytes;
  };
  let ring: [Uint8Array, Uint8Array] | undefined;
  const digest = async (name: string): Promise<string> => {
    const { entry, start, counted } = await locate(name);
    // Two slices' worth, or less for small sections: a small file never costs 8 MiB.
    const need = Math.min(SLICE_BYTES, entry.length);
    if (!ring || ring[0].byteLength < need) ring = [allocate(need), allocate(need)];
    const buffers = ring;
    const hash = createHash('sha256');
    await readSlices(
      handle,
      start,
      entry.length,
      (from) => buffers[(from / SLICE_BYTES) % 2] as Uint8Array,
      (slice) => {
        counted?.(slice.byteLength);
        hash.update(slice);
      },
    );
    return hash.digest('hex');
  };
  /** One read at a time, in call order: a caller's reused buffer is never written by two reads at once. */
  const queued = <T>(work: () => Promise<T>): Promise<T> => {
    const running = inFlight.then(work);
    inFlight = running.catch(() => {});
    return running.catch((e) => Promise.reject(ioError('read', path, e)));
  };
  return {
    path,
    head,
    readSection: (name, into) => queued(() => read(name, into)),
    digestSection: (name) => queued(() => digest(name)),
    async close() {
      await inFlight;
      await handle.close();
    },
  };
}

/**
 * Reads `length` bytes at `position` in slices of {@link SLICE_BYTES}, each
 * into `target(from)`, and hands each slice to `each` (which hashes it)
 * while the next one is read.
 */
async function readSlices(
  handle: FileHandle,
  position: number,
  length: number,
  target: (from: number) => Uint8Array,
  each: (slice: Uint8Array) => void,
): Promise<void> {
  const slice = (from: number) => readExactly(handle, position + from, Math.min(SLICE_BYTES, length - from), target(from));
  let pending = length > 0 ? slice(0) : undefined;
  for (let from = 0; pending; from += SLICE_BYTES) {
    const done = await pending;
    pending = from + SLICE_BYTES < length ? slice(from + SLICE_BYTES) : undefined;
    each(done.subarray(0, Math.min(SLICE_BYTES, length - from)));
  }
}

/** A buffer for bytes about to be read over: not zero-filled first (every byte is read or the read fails), as a plain Uint8Array. */
export function allocate(length: number): Uint8Array {
  const b = Buffer.allocUnsafeSlow(length);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** Throws CORRUPT when alignment padding holds anything but zeros (no writer puts data there). */
export function assertZeroPadding(bytes: Uint8Array, region: string): void {
  if (!isAllZero(bytes)) {
    throw new ModelBundleError(
      'CORRUPT',
      `Alignment padding before ${region} holds non-zero bytes. The file was modified or corrupted; copy it again from the source.`,
      { details: { region: `padding:${region}` } },
    );
  }
}
