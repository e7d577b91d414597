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
 * header, then the sections, each batch hashed on this thread while the
 * thread pool writes it; then the prefix and header over the zeros, now
 * that the digests are known (the header's length never depended on them).
 */
async function writeHashing(handle: FileHandle, bundle: Bundle, pending: PendingDigests, onProgress?: WriteBundleOptions['onProgress']): Promise<void> {
  const base = dataStart(pending.headerLength);
  const total = fileLength(pending.headerLength, pending.table);
  const digests: string[] = [];
  let written = 0;
  // The file is written front to back: zeros where the prefix and header go, overwritten
  // at the end, so the file never has a hole and the kernel sees one sequential write.
  let batch: Uint8Array[] = pending.table.length > 0 ? [new Uint8Array(base)] : [];
  let batchBytes = pending.table.length > 0 ? base : 0;
  let batchAt = 0;
  let toHash: (() => void)[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const writing = writevAt(handle, batch, batchAt);
    try {
      for (const hash of toHash) hash(); // the same bytes, hashed while the kernel copies them
    } finally {
      await writing;
    }
    written += batchBytes;
    if (written < total) onProgress?.(written, total);
    batchAt += batchBytes;
    batch = [];
    batchBytes = 0;
    toHash = [];
  };
  const add = async (chunk: Uint8Array, hash?: () => void) => {
    if (batch.length > 0 && (batchBytes + chunk.byteLength > PROGRESS_SLICE || batch.length >= 1024)) await flush();
    batch.push(chunk);
    batchBytes += chunk.byteLength;
    if (hash) toHash.push(hash);
  };
  let end = base;
  for (const entry of pending.table) {
    const data = bundle.sections.get(entry.name);
    assertUnchanged(entry, data);
    const start = base + entry.offset;
    if (start > end) await add(ZEROS.subarray(0, start - end));
    const hash = createHash('sha256');
    if (data.byteLength === 0) await add(data, () => digests.push(hash.digest('hex')));
    for (let at = 0; at < data.byteLength; at += PROGRESS_SLICE) {
      const slice = data.subarray(at, Math.min(at + PROGRESS_SLICE, data.byteLength));
      const last = at + PROGRESS_SLICE >= data.byteLength;
      await add(slice, () => {
        hash.update(slice);
        if (last) digests.push(hash.digest('hex'));
      });
    }
    end = start + data.byteLength;
  }
  await flush();
  pending.finish(digests);
  const headEnd = PREFIX_BYTES + pending.headerLength;
  const head = [bundlePrefix(bundle), bundle.headerBytes, ...(pending.table.length > 0 && base > headEnd ? [ZEROS.subarray(0, base - headEnd)] : [])];
  await writevAt(handle, head, 0);
  onProgress?.(total, total);
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
