import type { FileHandle } from 'node:fs/promises';
import { ModelBundleError } from '../errors.js';

const MAX_IO = 0x7fff0000; // largest single read/write Node performs

/** Reads exactly `length` bytes at `position` into a new buffer, or fails as TRUNCATED. */
export async function readExactly(handle: FileHandle, position: number, length: number, into: Uint8Array = new Uint8Array(length)): Promise<Uint8Array> {
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(into, done, Math.min(length - done, MAX_IO), position + done);
    if (bytesRead === 0) {
      throw new ModelBundleError(
        'TRUNCATED',
        `The file ended at byte ${position + done} while ${length - done} more bytes were expected. It is truncated or was changed while being read.`,
        {
          details: { region: 'file', position: position + done },
        },
      );
    }
    done += bytesRead;
  }
  return into;
}

/** Writes all of `data` at the current end of the file. */
export async function writeFully(handle: FileHandle, data: Uint8Array): Promise<void> {
  for (let done = 0; done < data.byteLength; ) {
    const { bytesWritten } = await handle.write(data, done, Math.min(data.byteLength - done, MAX_IO));
    done += bytesWritten;
  }
}

/** Writes `chunks` one after another at file `position`, in one writev call unless the kernel takes fewer bytes (then the rest follows). */
export async function writevAt(handle: FileHandle, chunks: readonly Uint8Array[], position: number): Promise<void> {
  const total = chunks.reduce((sum, c) => sum + c.byteLength, 0);
  let done = chunks.length === 1 ? 0 : (await handle.writev(chunks as Uint8Array[], position)).bytesWritten;
  if (done >= total) return;
  let start = 0;
  for (const chunk of chunks) {
    const end = start + chunk.byteLength;
    while (done < end) {
      const from = done - start;
      const { bytesWritten } = await handle.write(chunk, from, Math.min(chunk.byteLength - from, MAX_IO), position + done);
      done += bytesWritten;
    }
    start = end;
  }
}

const BATCH_BYTES = 8 * 1024 * 1024;
const BATCH_CHUNKS = 1024; // IOV_MAX on Linux

/**
 * Writes chunks in order at the current end of the file. Small chunks (a
 * model's many small tensors, alignment padding) go out together in one
 * writev call instead of one write each; large ones are written on their own.
 */
export async function writeChunks(handle: FileHandle, chunks: Iterable<Uint8Array>): Promise<void> {
  let batch: Uint8Array[] = [];
  let batchBytes = 0;
  const flush = async () => {
    if (batch.length === 1) await writeFully(handle, batch[0] as Uint8Array);
    else if (batch.length > 1) {
      const { bytesWritten } = await handle.writev(batch);
      if (bytesWritten < batchBytes) await writeFully(handle, concatFrom(batch, bytesWritten)); // a short write: finish the rest
    }
    batch = [];
    batchBytes = 0;
  };
  for (const chunk of chunks) {
    if (chunk.byteLength >= BATCH_BYTES) {
      await flush();
      await writeFully(handle, chunk);
      continue;
    }
    if (batchBytes + chunk.byteLength > BATCH_BYTES || batch.length === BATCH_CHUNKS) await flush();
    batch.push(chunk);
    batchBytes += chunk.byteLength;
  }
  await flush();
}

/** The bytes of `chunks` after the first `skip`, in one buffer. */
function concatFrom(chunks: readonly Uint8Array[], skip: number): Uint8Array {
  const total = chunks.reduce((sum, c) => sum + c.byteLength, 0);
  const out = new Uint8Array(total - skip);
  let pos = -skip;
  for (const c of chunks) {
    if (pos + c.byteLength > 0) out.set(pos >= 0 ? c : c.subarray(-pos), Math.max(pos, 0));
    pos += c.byteLength;
  }
  return out;
}

/** Wraps a Node file system error in IO_ERROR with the path and what to do. */
export function ioError(action: string, path: string, cause: unknown): ModelBundleError {
  if (cause instanceof ModelBundleError) return cause;
  const code = (cause as NodeJS.ErrnoException).code;
  const hint =
    code === 'ENOENT'
      ? 'check the path'
      : code === 'EACCES' || code === 'EPERM'
        ? 'check the file permissions'
        : code === 'ENOSPC'
          ? 'free disk space'
          : code === 'EISDIR'
            ? 'give a file path, not a directory'
            : code === 'ENOTDIR'
              ? 'make sure every folder on the path is a folder, not a file'
              : code === undefined
                ? "see the cause: the failure came from the bundle's data, not the file system"
                : 'check the path and the disk';
  return new ModelBundleError('IO_ERROR', `Could not ${action} "${path}": ${(cause as Error).message}. To fix it, ${hint}.`, {
    cause,
    details: { path, errno: code ?? null },
  });
}
