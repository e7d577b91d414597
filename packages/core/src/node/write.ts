import { randomBytes } from 'node:crypto';
import { open, readdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { type Bundle, bundleChunks } from '../envelope/bundle.js';
import { fileLength } from '../envelope/layout.js';
import { ioError, writeChunks, writeFully } from './file-io.js';

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
  const total = fileLength(bundle.headerBytes.length, bundle.header.sections);
  return writeFileAtomic(path, bundleChunks(bundle), { ...options, total });
}

/**
 * Writes any file atomically, as {@link writeBundle} does: the chunks go to
 * a temp file beside `path` (removed on failure, or by the next write if
 * the process died), which is fsynced and renamed over the target.
 * `total` is the byte count reported to `onProgress`.
 */
export async function writeFileAtomic(path: string, chunks: Iterable<Uint8Array>, options: WriteBundleOptions & { total?: number } = {}): Promise<void> {
  const { onProgress, total = 0 } = options;
  const dir = dirname(path);
  const base = basename(path);
  await removeStaleTemps(dir, base);
  const temp = join(dir, `.${base}.${process.pid}.${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`);
  try {
    const handle = await open(temp, 'wx', 0o644);
    try {
      if (!onProgress) {
        await writeChunks(handle, chunks);
      } else {
        let written = 0;
        for (const chunk of chunks) {
          for (let start = 0; start < chunk.byteLength; start += PROGRESS_SLICE) {
            const slice = chunk.subarray(start, Math.min(start + PROGRESS_SLICE, chunk.byteLength));
            await writeFully(handle, slice);
            written += slice.byteLength;
            onProgress(written, total);
          }
        }
      }
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
    if (match && pid !== process.pid && !isAlive(pid)) await unlink(join(dir, name)).catch(() => {});
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
