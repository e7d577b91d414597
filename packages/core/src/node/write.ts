import { createHash, randomBytes } from 'node:crypto';
import { type FileHandle, open, readdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { assertUnchanged, type Bundle, bundleChunks, bundlePrefix, type PendingDigests, pendingDigests } from '../envelope/bundle.js';
import { PREFIX_BYTES } from '../envelope/constants.js';
import { dataStart, fileLength } from '../envelope/layout.js';
import { isProcessAlive } from '../internal/platform.js';
import { ioError, writeChunks, writeFully, writevAt } from './file-io.js';

const TEMP_SUFFIX = '.mbtmp';
/** Large sections are written (and reported) in slices of this size, so progress moves smoothly. */
const PROGRESS_SLICE = 8 * 1024 * 1024;

/** Options for {@link writeBundle} and {@link writeFileAtomic}. */
export interface WriteBundleOptions {
  /**
   * Called after each chunk (prefix, header, padding, or a slice of at most
   * 8 MiB of a section) reaches the temp file, with the bytes written so far
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
 */
async function writeHashing(handle: FileHandle, bundle: Bundle, pending: PendingDigests, onProgress?: WriteBundleOptions['onProgress']): Promise<void> {
  const total = fileLength(pending.headerLength, pending.table);
  const digests: string[] = [];
  const batches = planBatches(bundle, pending, digests);
  const writer = writeAhead(handle, batches, total, onProgress);
  try {
    let sinceTurn = 0;
    for (const batch of batches) {
      for (const step of batch.hashing) {
        sinceTurn += step();
        // A turn of the event loop now and then lets finished writes start the next ones, and the fsync.
        if (sinceTurn >= HASH_STEP) {
          sinceTurn = 0;
          await new Promise((resolve) => setImmediate(resolve));
        }
      }
    }
    await writer.synced;
  } catch (e) {
    await writer.settled;
    throw e;
  }
  pending.finish(digests);
  const headEnd = PREFIX_BYTES + pending.headerLength;
  const base = dataStart(pending.headerLength);
  const head = [bundlePrefix(bundle), bundle.headerBytes, ...(pending.table.length > 0 && base > headEnd ? [ZEROS.subarray(0, base - headEnd)] : [])];
  await writevAt(handle, head, 0);
  onProgress?.(total, total);
}

/** Bytes hashed between two turns of the event loop. */
const HASH_STEP = 1024 * 1024;

/** One writev (chunks at file position `at`), and the steps that hash those same bytes (each returns how many it hashed). */
interface Batch {
  chunks: Uint8Array[];
  at: number;
  bytes: number;
  hashing: (() => number)[];
}

/**
 * The file front to back in batches of at most 8 MiB (or 1024 chunks):
 * zeros where the prefix and header go, then each section (large ones in
 * slices) with the padding before it, so the file is written front to back
 * and never has a hole. Each section's digest is pushed onto
 * `digests`, in table order, once its last byte is hashed.
 */
function planBatches(bundle: Bundle, pending: PendingDigests, digests: string[]): Batch[] {
  const base = dataStart(pending.headerLength);
  const batches: Batch[] = [];
  let batch: Batch = { chunks: [], at: 0, bytes: 0, hashing: [] };
  const add = (chunk: Uint8Array) => {
    if (batch.chunks.length > 0 && (batch.bytes + chunk.byteLength > PROGRESS_SLICE || batch.chunks.length >= 1024)) {
      batches.push(batch);
      batch = { chunks: [], at: batch.at + batch.bytes, bytes: 0, hashing: [] };
    }
    batch.chunks.push(chunk);
    batch.bytes += chunk.byteLength;
  };
  if (pending.table.length > 0) add(new Uint8Array(base));
  let end = base;
  for (const entry of pending.table) {
    const data = bundle.sections.get(entry.name);
    assertUnchanged(entry, data);
    const start = base + entry.offset;
    if (start > end) add(ZEROS.subarray(0, start - end));
    const hash = createHash('sha256');
    for (let at = 0; at === 0 || at < data.byteLength; at += PROGRESS_SLICE) {
      const sliceEnd = Math.min(at + PROGRESS_SLICE, data.byteLength);
      add(data.subarray(at, sliceEnd));
      for (let from = at; from === at || from < sliceEnd; from += HASH_STEP) {
        const to = Math.min(from + HASH_STEP, sliceEnd);
        batch.hashing.push(() => {
          hash.update(data.subarray(from, to));
          if (to === data.byteLength) digests.push(hash.digest('hex'));
          return to - from;
        });
      }
    }
    end = start + data.byteLength;
  }
  if (batch.chunks.length > 0) batches.push(batch);
  return batches;
}

/** Writes in flight at once: two keep the disk busy between turns of this thread, and leave the rest of the thread pool free. */
const WRITES_AHEAD = 2;

/**
 * Writes `batches` on the thread pool, {@link WRITES_AHEAD} at a time, then
 * fsyncs the file. Progress is reported in file order. `synced` rejects
 * with the first failure; `settled` resolves once nothing is in flight.
 */
function writeAhead(handle: FileHandle, batches: readonly Batch[], total: number, onProgress: WriteBundleOptions['onProgress']) {
  let next = 0;
  let reported = 0;
  let written = 0;
  let failed = false;
  const done: boolean[] = [];
  // Each lane writes one batch at a time, taking the next one not yet started.
  const lane = async () => {
    while (next < batches.length && !failed) {
      const index = next++;
      const batch = batches[index] as Batch;
      try {
        await writevAt(handle, batch.chunks, batch.at);
      } catch (e) {
        failed = true;
        throw e;
      }
      done[index] = true;
      for (; done[reported]; reported++) {
        written += (batches[reported] as Batch).bytes;
        if (written < total) onProgress?.(written, total);
      }
    }
  };
  const lanes = Array.from({ length: WRITES_AHEAD }, lane);
  const synced = Promise.all(lanes).then(() => handle.sync());
  synced.catch(() => {}); // the caller sees it through `synced`
  return { synced, settled: Promise.allSettled([...lanes, synced]).then(() => {}) };
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

/** Runs `write` on a new temp file beside `path`, then fsyncs it, renames it over `path` and fsyncs the directory; on failure the temp file is removed. */
async function atomically(path: string, write: (handle: FileHandle) => Promise<void>): Promise<void> {
  const dir = dirname(path);
  const base = basename(path);
  await removeStaleTemps(dir, base);
  const temp = join(dir, `.${base}.${process.pid}.${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`);
  try {
    const handle = await open(temp, 'wx', 0o644);
    try {
      await write(handle);
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
