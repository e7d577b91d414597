import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { link, mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ModelBundleError } from '@modelbundle/core';
import { writeFileAtomic } from '@modelbundle/core/node';
import type { BoardStorage, PutBody, PutOptions, PutOutcome } from './storage.js';

/**
 * A board in a local folder (or a network mount with POSIX semantics).
 * Plain writes go to a temp file that is renamed over the target (core's
 * `writeFileAtomic`); create-only writes hard-link the finished temp file to
 * the target, which fails atomically when the target exists, so two
 * writers can never both create one key.
 */
export class FolderStorage implements BoardStorage {
  readonly location: string;

  /** Opens the board rooted at `root`; the folder is created on the first write. */
  constructor(root: string) {
    this.location = resolve(root);
  }

  conditionalWrites = async (): Promise<'atomic'> => 'atomic';

  private path(key: string): string {
    const parts = key.split('/');
    if (parts.some((p) => p === '' || p === '.' || p === '..')) {
      throw new ModelBundleError(
        'INVALID_ARGUMENT',
        `The board key "${key}" is not a relative path of plain names. Use names without "..", "." or empty parts.`,
      );
    }
    return join(this.location, ...parts);
  }

  async getBytes(key: string): Promise<Uint8Array | undefined> {
    return readFile(this.path(key)).then(
      (b) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength),
      (e) => missing(e, key, this.location),
    );
  }

  async getRange(key: string, start: number, end: number): Promise<{ bytes: Uint8Array; total: number } | undefined> {
    const handle = await open(this.path(key), 'r').catch((e) => missing(e, key, this.location));
    if (!handle) return undefined;
    try {
      const total = (await handle.stat()).size;
      const length = Math.max(0, Math.min(end, total) - start);
      const bytes = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await handle.read(bytes, done, length - done, start + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return { bytes: bytes.subarray(0, done), total };
    } finally {
      await handle.close();
    }
  }

  async getStream(key: string) {
    const path = this.path(key);
    const info = await stat(path).catch((e) => missing(e, key, this.location));
    if (!info) return undefined;
    return { stream: createReadStream(path), size: info.size };
  }

  async put(key: string, body: PutBody, options: PutOptions = {}): Promise<PutOutcome> {
    const target = this.path(key);
    await mkdir(dirname(target), { recursive: true });
    if (!options.ifAbsent && 'bytes' in body) {
      await writeFileAtomic(target, [body.bytes], { total: body.bytes.byteLength, ...(options.onProgress ? { onProgress: options.onProgress } : {}) });
      return 'created';
    }
    // Create-only (or a file copy): finish a temp file beside the target, then link it into place.
    const temp = join(dirname(target), `.${randomBytes(8).toString('hex')}.${process.pid}.upload`);
    try {
      if ('bytes' in body) {
        await writeFileAtomic(temp, [body.bytes]);
      } else {
        await copyWithProgress(body.file, temp, body.size, options.onProgress);
      }
      if (!options.ifAbsent) {
        await rename(temp, target);
        return 'created';
      }
      try {
        await link(temp, target);
        return 'created';
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') return 'exists';
        throw e;
      }
    } catch (e) {
      throw ioFailure('write', key, this.location, e);
    } finally {
      await unlink(temp).catch(() => {});
    }
  }

  async delete(key: string): Promise<void> {
    await unlink(this.path(key)).catch((e) => {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw ioFailure('delete', key, this.location, e);
    });
  }

  async list(prefix: string): Promise<string[]> {
    const dir = prefix === '' ? this.location : this.path(prefix.replace(/\/$/, ''));
    const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch((e) => {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw ioFailure('list', prefix, this.location, e);
    });
    const keys: string[] = [];
    for (const entry of entries) {
      if (!entry.isFile() || entry.name.startsWith('.')) continue; // temp files of writers in progress
      const rel = join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name).slice(this.location.length + 1);
      keys.push(rel.split(sep).join('/'));
    }
    return keys.sort();
  }
}

/** Copies a file to a new temp file, reporting progress, and makes it durable before it is linked into place. */
async function copyWithProgress(from: string, to: string, size: number, onProgress?: (sent: number, total: number) => void): Promise<void> {
  const source = createReadStream(from, { highWaterMark: 1024 * 1024 });
  let sent = 0;
  if (onProgress) {
    source.on('data', (chunk) => {
      sent += chunk.length;
      onProgress(sent, size);
    });
  }
  await pipeline(source, createWriteStream(to, { flags: 'wx' }));
  const handle = await open(to, 'r+');
  await handle.sync().finally(() => handle.close());
}

function missing(e: unknown, key: string, location: string): undefined {
  if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
  throw ioFailure('read', key, location, e);
}

function ioFailure(what: string, key: string, location: string, e: unknown): ModelBundleError {
  if (e instanceof ModelBundleError) return e;
  return new ModelBundleError(
    'IO_ERROR',
    `Could not ${what} ${key} in the board at ${location}: ${(e as Error).message}. Check that the folder exists and is writable.`,
    { cause: e, details: { board: location, key } },
  );
}
