import { createHash, type Hash, randomBytes } from 'node:crypto';
import { type FileHandle, open, readdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import {
  assertUnchanged,
  type Bundle,
  bundleChunks,
  bundlePrefix,
  type DeferredSection,
  deferredSection,
  type PendingDigests,
  pendingDigests,
  readDeferred,
} from '../envelope/bundle.js';
import { PREFIX_BYTES } from '../envelope/constants.js';
import type { SectionEntry } from '../envelope/header.js';
import { dataStart, fileLength } from '../envelope/layout.js';
import { isProcessAlive } from '../internal/platform.js';
import { ioError, readExactly, writeChunks, writeFully, writevAt } from './file-io.js';

const TEMP_SUFFIX = '.mbtmp';
/** Large sections are written (and reported) in slices of this size, so progress moves smoothly. */
const PROGRESS_SLICE = 8 * 1024 * 1024;

/** Options for {@link writeBundle} and {@link writeFileAtomic}. */
export interface WriteBundleOptions {
  /**
   * Called after each chunk (prefix, header, padding, or a slice of at most
   * 8 MiB of a section, 1 MiB when the bundle has deferred sections)
   * reaches the temp file, with the bytes written so far
   * and the final file size. The last call has `written === total`, before
   * the fsync and rename.
   */
  onProgress?: (written: number, total: number) => void;
}

/**
 * Writes a bundle atomically: to a temp file beside the target, fsync, then
 * rename over the target and fsync the directory. The target is always the
 * complete old file or the complete new one, never a half-written mix.
 * Sections are streamed one by one; the file is never built in memory.
 * Temp files left by writers that died are removed by the next write.
 */
export function writeBundle(path: string, bundle: Bundle, options: WriteBundleOptions = {}): Promise<void> {
  const pending = pendingDigests(bundle);
  if (pending) return atomically(path, (handle) => writeHashing(handle, bundle, pending, options.onProgress));
  const total = fileLength(bundle.headerBytes.length, bundle.header.sections);
  return writeFileAtomic(path, bundleChunks(bundle), { ...options, total });
}

const ZEROS = new Uint8Array(64);

/**
 * Writes a bundle whose digests are still pending: zeros for the prefix and
 * header, then the sections, then the prefix and header over the zeros,
 * once the digests are known (the header's length never depended on them).
 * The thread pool writes and fsyncs the sections while this thread hashes
 * them: hashing (1 to 2 GB/s) is slower than writing to the page cache, so
 * the writes run ahead and the data's fsync overlaps the rest of the
 * hashing; the caller's fsync after the header then has little to flush.
 * Deferred sections are read slice by slice as their batches are prepared
 * (see {@link SectionBytes}), so batches are prepared ahead of the hashing
 * only while a slot is free.
 */
async function writeHashing(handle: FileHandle, bundle: Bundle, pending: PendingDigests, onProgress?: WriteBundleOptions['onProgress']): Promise<void> {
  const total = fileLength(pending.headerLength, pending.table);
  const sources = pending.table.map((entry) => deferredSection(bundle, entry.name));
  const deferred = sources.some((source) => source !== undefined);
  const batches = planBatches(pending, deferred ? DEFERRED_BATCH : PROGRESS_SLICE);
  const sections = new SectionBytes(bundle, pending.table, sources, batches);
  // With deferred sections the writes cannot run far ahead of the hashing, so they are flushed as they go.
  const writer = writeAhead(handle, total, onProgress, (batch) => sections.done(batch, 'written'), deferred ? FLUSH_EVERY : 0);
  let prepared = 0;
  // Once the last batch is pushed the writer is closed, so the fsync starts as soon as the writes end, while hashing goes on.
  const prepareNext = () => {
    writer.push(sections.prepare(batches[prepared++] as Batch));
    if (prepared === batches.length) writer.close();
  };
  // Prepares every batch that needs no bytes beyond what may be held now.
  const prepareAhead = () => {
    while (prepared < batches.length && sections.canPrepare(batches[prepared] as Batch)) prepareNext();
  };
  try {
    let sinceTurn = 0;
    for (const [index, batch] of batches.entries()) {
      prepareAhead();
      // Batch `index` must be prepared to be hashed: wait for earlier writes to free a slot (once none is left to finish, all are free).
      while (prepared <= index && !writer.failed()) {
        if (!sections.canPrepare(batches[prepared] as Batch) && (await writer.progressed())) continue;
        if (!writer.failed()) prepareNext();
      }
      if (writer.failed()) break;
      for (const step of batch.hashing) {
        sinceTurn += step();
        // A turn of the event loop now and then lets finished writes start the next ones, and the fsync.
        if (sinceTurn >= HASH_STEP) {
          sinceTurn = 0;
          await new Promise((resolve) => setImmediate(resolve));
          prepareAhead();
        }
      }
      sections.done(batch, 'hashed');
    }
    writer.close(); // already, unless a write failed
    await writer.synced;
  } catch (e) {
    writer.close();
    await writer.settled;
    throw e;
  }
  pending.finish(sections.digests);
  const headEnd = PREFIX_BYTES + pending.headerLength;
  const base = dataStart(pending.headerLength);
  const head = [bundlePrefix(bundle), bundle.headerBytes, ...(pending.table.length > 0 && base > headEnd ? [ZEROS.subarray(0, base - headEnd)] : [])];
  await writevAt(handle, head, 0);
  onProgress?.(total, total);
}

/** Bytes hashed between two turns of the event loop. */
const HASH_STEP = 1024 * 1024;

/** A stretch of the file that one batch covers: zeros, or bytes [from, to) of the section at `index` in the table. */
type Piece = { zeros: number } | { index: number; from: number; to: number };

/**
 * One writev at file position `at`, of `bytes` bytes: planned as pieces,
 * prepared (chunks made, and the steps that hash those same bytes, each
 * returning how many it hashed) just before it is written.
 */
interface Batch {
  at: number;
  bytes: number;
  pieces: Piece[];
  chunks: Uint8Array[];
  hashing: (() => number)[];
}

/**
 * The file front to back in batches of at most 8 MiB (or 1024 chunks):
 * zeros where the prefix and header go, then each section (large ones in
 * slices) with the padding before it, so the file is written front to back
 * and never has a hole.
 */
function planBatches(pending: PendingDigests, batchBytes: number): Batch[] {
  const base = dataStart(pending.headerLength);
  const batches: Batch[] = [];
  let batch: Batch = { at: 0, bytes: 0, pieces: [], chunks: [], hashing: [] };
  const add = (piece: Piece, length: number) => {
    if (batch.pieces.length > 0 && (batch.bytes + length > batchBytes || batch.pieces.length >= 1024)) {
      batches.push(batch);
      batch = { at: batch.at + batch.bytes, bytes: 0, pieces: [], chunks: [], hashing: [] };
    }
    batch.pieces.push(piece);
    batch.bytes += length;
  };
  if (pending.table.length > 0) add({ zeros: base }, base);
  let end = base;
  for (const [index, entry] of pending.table.entries()) {
    const start = base + entry.offset;
    if (start > end) add({ zeros: start - end }, start - end);
    for (let at = 0; at === 0 || at < entry.length; at += batchBytes) {
      const to = Math.min(at + batchBytes, entry.length);
      add({ index, from: at, to }, to - at);
    }
    end = start + entry.length;
  }
  if (batch.pieces.length > 0) batches.push(batch);
  return batches;
}

/**
 * The sections' bytes while they are written. A section the bundle holds is
 * viewed as it is; a deferred one is read slice by slice, each batch's
 * slices into one of {@link SLOTS} buffers (each as large as the most any
 * batch reads, at most {@link DEFERRED_BATCH}), reused once that batch is
 * written and hashed: saving such a bundle holds a few MiB, whatever its size.
 * `digests` fills in table order as each section's last byte is hashed.
 */
class SectionBytes {
  readonly digests: string[] = [];
  readonly #bundle: Bundle;
  readonly #table: readonly SectionEntry[];
  readonly #sources: readonly (DeferredSection | undefined)[];
  readonly #hashes = new Map<number, Hash>();
  readonly #held = new Map<number, Uint8Array>();
  readonly #free: Uint8Array[] = [];
  readonly #slots = new Map<Batch, { slot: Uint8Array; events: number }>();
  /** The most deferred bytes one batch reads: each slot's size (a small model's save allocates no more than it reads). */
  readonly #slotBytes: number;
  #made = 0;

  /** `sources[i]` is the deferred source of table entry `i`, or undefined when the bundle holds its bytes. */
  constructor(bundle: Bundle, table: readonly SectionEntry[], sources: readonly (DeferredSection | undefined)[], batches: readonly Batch[]) {
    this.#bundle = bundle;
    this.#table = table;
    this.#sources = sources;
    this.#slotBytes = Math.max(0, ...batches.map((batch) => this.#deferredBytes(batch)));
  }

  /** True when `batch` reads no deferred section, or a slot is free for it. */
  canPrepare(batch: Batch): boolean {
    return this.#free.length > 0 || this.#made < SLOTS || !this.#needsSlot(batch);
  }

  /** Makes the batch's chunks and hashing steps. */
  prepare(batch: Batch): Batch {
    const slot = this.#needsSlot(batch) ? this.#takeSlot(batch) : undefined;
    let used = 0;
    for (const piece of batch.pieces) {
      if ('zeros' in piece) {
        batch.chunks.push(piece.zeros <= ZEROS.byteLength ? ZEROS.subarray(0, piece.zeros) : new Uint8Array(piece.zeros));
        continue;
      }
      const { index, from, to } = piece;
      const entry = this.#table[index] as SectionEntry;
      const source = this.#sources[index];
      let bytes: Uint8Array;
      if (source && slot) {
        bytes = readDeferred(entry.name, source, from, to, slot.subarray(used));
        used += to - from;
      } else bytes = this.#whole(index).subarray(from, to);
      batch.chunks.push(bytes);
      if (from === 0) this.#hashes.set(index, createHash('sha256'));
      const hash = this.#hashes.get(index) as Hash;
      for (let at = 0; at === 0 || at < bytes.byteLength; at += HASH_STEP) {
        const until = Math.min(at + HASH_STEP, bytes.byteLength);
        const last = from + until === entry.length;
        batch.hashing.push(() => {
          hash.update(bytes.subarray(at, until));
          if (last) this.digests[index] = hash.digest('hex');
          return until - at;
        });
      }
      if (to === entry.length) {
        this.#hashes.delete(index);
        this.#held.delete(index);
      }
    }
    return batch;
  }

  /** Marks `batch` written or hashed; its slot is reused once it is both. */
  done(batch: Batch, what: 'written' | 'hashed'): void {
    if (what === 'written') batch.chunks = [];
    else batch.hashing = [];
    const taken = this.#slots.get(batch);
    if (taken && --taken.events === 0) {
      this.#slots.delete(batch);
      this.#free.push(taken.slot);
    }
  }

  #needsSlot(batch: Batch): boolean {
    return this.#deferredBytes(batch) > 0;
  }

  #deferredBytes(batch: Batch): number {
    let bytes = 0;
    for (const piece of batch.pieces) if (!('zeros' in piece) && this.#sources[piece.index]) bytes += piece.to - piece.from;
    return bytes;
  }

  #takeSlot(batch: Batch): Uint8Array {
    let slot = this.#free.pop();
    if (!slot) {
      slot = new Uint8Array(this.#slotBytes); // zeroed: a faulty source that writes less than it returns leaks no old memory into the file
      this.#made++;
    }
    this.#slots.set(batch, { slot, events: 2 });
    return slot;
  }

  /** A section the bundle holds, checked against the table once, kept until its last slice is planned. */
  #whole(index: number): Uint8Array {
    let data = this.#held.get(index);
    if (!data) {
      const entry = this.#table[index] as SectionEntry;
      const found = this.#bundle.sections.get(entry.name);
      assertUnchanged(entry, found);
      data = found;
      this.#held.set(index, data);
    }
    return data;
  }
}

/** The most bytes one batch holds when the bundle has deferred sections: what one slot holds (four slots: 4 MiB in all). */
const DEFERRED_BATCH = 1024 * 1024;

/**
 * Bytes written between two flushes to disk (`fdatasync`) when a bundle has
 * deferred sections: its writes cannot run far ahead of the hash, so
 * without them the last fsync would flush the whole file after the hash.
 */
const FLUSH_EVERY = 32 * 1024 * 1024;

/**
 * Buffers of one batch for deferred sections: a batch being hashed, the
 * ones the thread pool writes meanwhile, and one being prepared.
 */
const SLOTS = 4;

/** Writes in flight at once: two keep the disk busy between turns of this thread, and leave the rest of the thread pool free. */
const WRITES_AHEAD = 2;

/**
 * Writes batches on the thread pool as they are pushed, {@link WRITES_AHEAD}
 * at a time, then (once closed) fsyncs the file. Progress is reported in
 * file order; `onWritten` hears each batch once its write is done.
 * `progressed()` resolves after the next write finishes (false once nothing
 * more can finish); `synced` rejects with the first failure; `settled`
 * resolves once nothing is in flight.
 */
function writeAhead(handle: FileHandle, total: number, onProgress: WriteBundleOptions['onProgress'], onWritten: (batch: Batch) => void, flushEvery = 0) {
  const batches: Batch[] = [];
  let next = 0;
  let unflushed = 0;
  let flushing: Promise<void> | undefined;
  let flushFailure: { error: unknown } | undefined;
  let reported = 0;
  let written = 0;
  let inFlight = 0;
  let failed = false;
  let closed = false;
  const done: boolean[] = [];
  let waiters: ((more: boolean) => void)[] = [];
  const wake = (more: boolean) => {
    const woken = waiters;
    waiters = [];
    for (const resolve of woken) resolve(more);
  };
  const idle = () => new Promise<boolean>((resolve) => waiters.push(resolve));
  // Each lane writes one batch at a time, taking the next one not yet started.
  const lane = async () => {
    while (!failed) {
      if (next >= batches.length) {
        if (closed) return;
        await idle();
        continue;
      }
      const index = next++;
      const batch = batches[index] as Batch;
      inFlight++;
      try {
        await writevAt(handle, batch.chunks, batch.at);
      } catch (e) {
        failed = true;
        throw e;
      } finally {
        inFlight--;
        wake(!failed && (inFlight > 0 || next < batches.length));
      }
      done[index] = true;
      onWritten(batch);
      unflushed += batch.bytes;
      if (flushEvery > 0 && unflushed >= flushEvery && !flushing) {
        unflushed = 0;
        // Written bytes reach the disk while hashing goes on, so the last fsync has little left.
        flushing = handle.datasync().finally(() => {
          flushing = undefined;
        });
        flushing.catch((error: unknown) => {
          flushFailure ??= { error };
          failed = true;
          wake(false);
        });
      }
      for (; done[reported]; reported++) {
        written += (batches[reported] as Batch).bytes;
        if (written < total) onProgress?.(written, total);
      }
    }
  };
  const lanes = Array.from({ length: WRITES_AHEAD }, lane);
  const synced = Promise.all(lanes).then(async () => {
    await flushing?.catch(() => {});
    if (flushFailure) throw flushFailure.error;
    await handle.sync();
  });
  synced.catch(() => {}); // the caller sees it through `synced`
  return {
    synced,
    settled: Promise.allSettled([...lanes, synced]).then(() => {}),
    push(batch: Batch) {
      batches.push(batch);
      wake(true);
    },
    close() {
      closed = true;
      wake(false);
    },
    failed: () => failed,
    /** Resolves once a write finishes: true when more may follow, false when nothing is in flight or queued (or a write failed). */
    progressed(): Promise<boolean> {
      if (failed || (inFlight === 0 && next >= batches.length)) return Promise.resolve(false);
      return idle();
    },
  };
}

/**
 * Writes any file atomically, as {@link writeBundle} does: the chunks go to
 * a temp file beside `path` (removed on failure, or by the next write if
 * the process died), which is fsynced and renamed over the target.
 * `total` is the byte count reported to `onProgress`.
 */
export async function writeFileAtomic(path: string, chunks: Iterable<Uint8Array>, options: WriteBundleOptions & { total?: number } = {}): Promise<void> {
  const { onProgress, total = 0 } = options;
  await atomically(path, async (handle) => {
    if (!onProgress) {
      await writeChunks(handle, chunks);
      return;
    }
    let written = 0;
    for (const chunk of chunks) {
      for (let start = 0; start < chunk.byteLength; start += PROGRESS_SLICE) {
        const slice = chunk.subarray(start, Math.min(start + PROGRESS_SLICE, chunk.byteLength));
        await writeFully(handle, slice);
        written += slice.byteLength;
        onProgress(written, total);
      }
    }
  });
}

/** Copied in slices of this size, through one buffer. */
const COPY_SLICE = 8 * 1024 * 1024;

/**
 * Copies the file at `source` to `path` atomically, as {@link writeBundle}
 * writes (a temp file beside `path`, fsync, rename), in 8 MiB slices
 * through one buffer. `finish(copy, handle)` runs on the complete copy
 * (its temp path, and a handle open for writing) before it is fsynced and
 * renamed: to check the copy and change bytes in it. `onProgress` hears the
 * bytes copied so far.
 */
export async function copyFileAtomic(
  source: string,
  path: string,
  finish: (copy: string, handle: FileHandle) => Promise<void>,
  options: WriteBundleOptions = {},
): Promise<void> {
  const from = await open(source, 'r').catch((e) => Promise.reject(ioError('open', source, e)));
  try {
    const size = (await from.stat()).size;
    await atomically(path, async (handle, temp) => {
      const buffer = new Uint8Array(Math.min(COPY_SLICE, size));
      for (let at = 0; at < size; at += COPY_SLICE) {
        const slice = await readExactly(from, at, Math.min(COPY_SLICE, size - at), buffer);
        await writeFully(handle, slice.subarray(0, Math.min(COPY_SLICE, size - at)));
        options.onProgress?.(Math.min(at + COPY_SLICE, size), size);
      }
      await finish(temp, handle);
    });
  } finally {
    await from.close();
  }
}

/** Runs `write` on a new temp file beside `path` (given its handle and path), then fsyncs it, renames it over `path` and fsyncs the directory; on failure the temp file is removed. */
async function atomically(path: string, write: (handle: FileHandle, temp: string) => Promise<void>): Promise<void> {
  const dir = dirname(path);
  const base = basename(path);
  await removeStaleTemps(dir, base);
  const temp = join(dir, `.${base}.${process.pid}.${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`);
  try {
    const handle = await open(temp, 'wx', 0o644);
    try {
      await write(handle, temp);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (e) {
    await unlink(temp).catch(() => {});
    throw ioError('write', path, e);
  }
  await syncDirectory(dir);
}

/** Makes the rename durable: without a directory fsync, a crash can forget it. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r').catch(() => undefined);
  if (!handle) return;
  await handle.sync().catch(() => {}); // some file systems refuse fsync on directories
  await handle.close();
}

/**
 * Removes `.<base>.<pid>.<12 hex>.mbtmp` files whose writing process no
 * longer runs. The exact pattern keeps the temps of other targets (say
 * `<base>.1`) out of reach.
 */
async function removeStaleTemps(dir: string, base: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const prefix = `.${base}.`;
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith(TEMP_SUFFIX)) continue;
    const match = /^(\d+)\.[0-9a-f]{12}$/.exec(name.slice(prefix.length, -TEMP_SUFFIX.length));
    const pid = Number(match?.[1]);
    if (match && pid !== process.pid && !isProcessAlive(pid)) await unlink(join(dir, name)).catch(() => {});
  }
}
