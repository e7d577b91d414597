import type { FileHandle } from 'node:fs/promises';
import { ModelBundleError } from '../errors.js';

const MAX_IO = 0x7fff0000; // largest single read/write Node performs

/** Reads exactly `length` bytes at `position` into a new buffer, or fails as TRUNCATED. */
export async function readExactly(handle: FileHandle, position: number, length: number, into = new Uint8Array(length)): Promise<Uint8Array> {
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
