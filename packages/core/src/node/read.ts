import { createHash, type Hash } from 'node:crypto';
import { type FileHandle, open } from 'node:fs/promises';
import { type Bundle, checkSectionDigest, decodeBundle, type Inspection, inspection, readHead } from '../envelope/bundle.js';
import { ALIGNMENT, PREFIX_BYTES } from '../envelope/constants.js';
import type { SectionEntry } from '../envelope/header.js';
import { decodePrefix } from '../envelope/prefix.js';
import { allocate, assertZeroPadding, readFileHead } from './bundle-file.js';
import { ioError, readExactly } from './file-io.js';

/** {@link Inspection} plus how many bytes were read from disk to produce it. */
export interface FileInspection extends Inspection {
  bytesRead: number;
}

/** Reads only the prefix and the header of a bundle file, whatever its size. */
export async function inspectFile(path: string): Promise<FileInspection> {
  const handle = await open(path, 'r').catch((e) => Promise.reject(ioError('open', path, e)));
  try {
    const size = (await handle.stat()).size;
    const prefixBytes = await readExactly(handle, 0, Math.min(PREFIX_BYTES, size));
    const prefix = decodePrefix(prefixBytes, size);
    const head = new Uint8Array(PREFIX_BYTES + prefix.headerLength);
    head.set(prefixBytes);
    await readExactly(handle, PREFIX_BYTES, prefix.headerLength, head.subarray(PREFIX_BYTES));
    const { header } = await readHead(head, size);
    return { ...inspection(header, prefix), bytesRead: head.length };
  } catch (e) {
    throw ioError('inspect', path, e);
  } finally {
    await handle.close();
  }
}

/** Options for {@link readBundle}. */
export interface ReadBundleOptions {
  /** Check every section digest (default true). */
  verify?: boolean;
  /**
   * Called each time more of the file has been read (at most every 16 MiB),
   * with the bytes read so far and the file size. The last call has
   * `read === total`; the digest of the last piece is checked right after it.
   */
  onProgress?: (read: number, total: number) => void;
}

/** Large sections are read, hashed and reported in slices of this size, so hashing one slice overlaps reading the next. */
const SLICE_BYTES = 16 * 1024 * 1024;

/** A file of at most this size is read with one read: one read costs less than the several a planned layout takes. */
export const WHOLE_FILE_BYTES = SLICE_BYTES;

/**
 * Reads a bundle file. Sections come back as 64-byte-aligned views (a
 * `Float32Array` can view them as they are): a large section is read into a
 * buffer of its own, a run of small ones into one shared buffer; the file is
 * never held as one copy, so bundles larger than one ArrayBuffer can be
 * read. Each slice is hashed (SHA-256, incrementally) on this thread while
 * the next one is read on the thread pool, so verifying costs little more
 * than reading. A file no larger than one slice is read in one go (one
 * read costs less than the several a planned layout takes) and its sections
 * view that one buffer.
 */
export async function readBundle(path: string, options: ReadBundleOptions = {}): Promise<Bundle> {
  const verify = options.verify !== false;
  const onProgress = options.onProgress;
  const handle = await open(path, 'r').catch((e) => Promise.reject(ioError('open', path, e)));
  let inFlight: Promise<unknown> | undefined;
  try {
    const size = (await handle.stat()).size;
    if (size <= WHOLE_FILE_BYTES) return await readWhole(handle, size, verify, onProgress);
    const { head, base, headEnd } = await readFileHead(handle, size);
    const { header } = head;
    onProgress?.(headEnd, size);
    const sections = new Map<string, Uint8Array>();
    const slices = planSlices(header.sections, base, verify || onProgress ? SLICE_BYTES : Number.MAX_SAFE_INTEGER);
    let pending = slices[0] ? readSlice(handle, slices[0]) : undefined;
    for (const [i, slice] of slices.entries()) {
      await pending;
      const following = slices[i + 1];
      pending = following ? readSlice(handle, following) : undefined;
      inFlight = pending;
      onProgress?.(slice.position + slice.length, size);
      for (const part of slice.parts) {
        const { entry, group } = part;
        const at = group.sectionStart(entry);
        if (part.first) {
          assertZeroPadding(group.buffer.subarray(group.paddingStart(entry), at), `section:${entry.name}`);
          sections.set(entry.name, group.buffer.subarray(at, at + entry.length));
          if (verify) part.state.hash = createHash('sha256');
        }
        part.state.hash?.update(group.buffer.subarray(at + part.from, at + part.to));
        if (part.last && part.state.hash) checkSectionDigest(entry, part.state.hash.digest('hex'));
      }
    }
    await pending;
    inFlight = undefined;
    return { ...head, sections, verified: verify };
  } catch (e) {
    await inFlight?.catch(() => {}); // let a read in flight finish before the file is closed
    throw ioError('read', path, e);
  } finally {
    await handle.close();
  }
}

/** A small file in one read, decoded in memory: sections view the one buffer (every section offset is 64-byte aligned in the file). */
async function readWhole(handle: FileHandle, size: number, verify: boolean, onProgress: ReadBundleOptions['onProgress']): Promise<Bundle> {
  const bytes = await readExactly(handle, 0, size, allocate(size));
  onProgress?.(size, size);
  return decodeBundle(bytes, { verify });
}

/** Sections below this size are read together with their neighbours. */
const SMALL_SECTION = 256 * 1024;
/** The most bytes one grouped read of small sections covers. */
const GROUP_BYTES = 4 * 1024 * 1024;

/**
 * One buffer holding a run of sections (or one large section), read from a
 * 64-byte-aligned file position so that every section in it is a
 * 64-byte-aligned view. It may start with the last bytes of the section
 * before it (read twice, harmlessly).
 */
interface ReadGroup {
  buffer: Uint8Array;
  /** File position of buffer[0]. */
  position: number;
  sectionStart(entry: SectionEntry): number;
  paddingStart(entry: SectionEntry): number;
}

/** A piece of one section covered by a slice: bytes [from, to) of the section. */
interface SlicePart {
  entry: SectionEntry;
  group: ReadGroup;
  from: number;
  to: number;
  first: boolean;
  last: boolean;
  state: { hash?: Hash };
}

/** One read: `length` bytes at file `position` into `into`, then the section parts it completes. */
interface Slice {
  into: Uint8Array;
  position: number;
  length: number;
  parts: SlicePart[];
}

function readSlice(handle: FileHandle, slice: Slice): Promise<Uint8Array> {
  return readExactly(handle, slice.position, slice.length, slice.into);
}

/** The reads of a whole section table: groups (each large section alone, runs of small ones together), cut into slices of at most `sliceBytes`. */
function planSlices(entries: readonly SectionEntry[], base: number, sliceBytes: number): Slice[] {
  const slices: Slice[] = [];
  let end = base; // file position where the previous section ended
  for (const run of groupSections(entries)) {
    const last = run.at(-1) as SectionEntry;
    const position = end - (end % ALIGNMENT);
    const groupEnd = base + last.offset + last.length;
    const buffer = allocate(groupEnd - position);
    const ends = new Map<SectionEntry, number>();
    let previous = end;
    for (const entry of run) {
      ends.set(entry, previous);
      previous = base + entry.offset + entry.length;
    }
    const group: ReadGroup = {
      buffer,
      position,
      sectionStart: (entry) => base + entry.offset - position,
      paddingStart: (entry) => (ends.get(entry) as number) - position,
    };
    const states = new Map(run.map((entry) => [entry, {} as { hash?: Hash }]));
    // At least one slice per group, so a group of empty sections is visited too.
    for (let at = position; at === position || at < groupEnd; at += sliceBytes) {
      const to = Math.min(groupEnd, at + sliceBytes);
      const parts: SlicePart[] = [];
      for (const entry of run) {
        const start = base + entry.offset;
        const stop = start + entry.length;
        // A section belongs to the slice that reads its first byte (or, when empty, its position), and to each later one it spans.
        const from = Math.max(start, at);
        const until = Math.min(stop, to);
        const owns = entry.length === 0 ? start >= at && (start < to || to === groupEnd) : from < until;
        if (!owns) continue;
        parts.push({
          entry,
          group,
          from: from - start,
          to: Math.max(until, from) - start,
          first: from === start,
          last: until === stop,
          state: states.get(entry) as { hash?: Hash },
        });
      }
      slices.push({ into: buffer.subarray(at - position, to - position), position: at, length: to - at, parts });
    }
    end = groupEnd;
  }
  return slices;
}

/** Splits the section table into read groups: each large section alone, runs of small ones together. */
function groupSections(entries: readonly SectionEntry[]): SectionEntry[][] {
  const groups: SectionEntry[][] = [];
  let run: SectionEntry[] = [];
  let runBytes = 0;
  for (const entry of entries) {
    if (entry.length >= SMALL_SECTION) {
      if (run.length > 0) groups.push(run);
      groups.push([entry]);
      run = [];
      runBytes = 0;
      continue;
    }
    if (runBytes + entry.length > GROUP_BYTES && run.length > 0) {
      groups.push(run);
      run = [];
      runBytes = 0;
    }
    run.push(entry);
    runBytes += entry.length + 64;
  }
  if (run.length > 0) groups.push(run);
  return groups;
}
