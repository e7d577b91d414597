import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, stat, unlink, utimes } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { inspectFile } from '@modelbundle/core/node';
import { countingStream } from './progress-stream.js';

/** Where downloaded bundles are kept: `MODELBUNDLE_CACHE`, else `$XDG_CACHE_HOME/modelbundle`, else `~/.cache/modelbundle`. */
export function defaultCacheDir(): string {
  return process.env.MODELBUNDLE_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'modelbundle', 'boards');
}

/** The default bound on the cache's size: 10 GiB. */
export const DEFAULT_CACHE_BYTES = 10 * 1024 ** 3;

/**
 * A folder of verified bundles named by header digest (`<digest>.mbnd`).
 * Downloads land in a temp file of their own and are renamed into place
 * only once verified, so concurrent processes share the cache safely (two
 * that fetch the same bundle rename identical bytes onto one name) and a
 * damaged download is never seen by anyone.
 */
export class BundleCache {
  constructor(
    readonly dir: string = defaultCacheDir(),
    readonly maxBytes: number = DEFAULT_CACHE_BYTES,
  ) {}

  pathFor(headerDigest: string): string {
    return join(this.dir, `${headerDigest}.mbnd`);
  }

  /** The cached file for `headerDigest` when it is present and still has that digest and size; its time is refreshed (LRU). */
  async lookup(headerDigest: string, size: number): Promise<string | undefined> {
    const path = this.pathFor(headerDigest);
    const info = await stat(path).catch(() => undefined);
    if (!info || info.size !== size) return undefined;
    const inspection = await inspectFile(path).catch(() => undefined);
    if (inspection?.headerDigest !== headerDigest) {
      await unlink(path).catch(() => {});
      return undefined;
    }
    const now = new Date();
    await utimes(path, now, now).catch(() => {});
    return path;
  }

  /**
   * Streams `source` through `through` (verifying streams) to a temp file,
   * runs `verify` on it, then renames it to its digest's name. The temp file
   * is removed on any failure, so nothing unverified is ever visible.
   */
  async store(
    headerDigest: string,
    source: Readable,
    options: { through?: Transform[]; verify?: (tempPath: string) => Promise<void>; onBytes?: (received: number) => void } = {},
  ): Promise<string> {
    await mkdir(this.dir, { recursive: true });
    const temp = join(this.dir, `.${headerDigest}.${process.pid}.${randomBytes(6).toString('hex')}.part`);
    try {
      const stages: (Readable | Transform)[] = [source, ...(options.through ?? [])];
      if (options.onBytes) stages.push(countingStream(options.onBytes));
      await pipeline([...stages, createWriteStream(temp, { flags: 'wx', highWaterMark: 1024 * 1024 })] as unknown as readonly NodeJS.ReadWriteStream[]);
      await options.verify?.(temp);
      const path = this.pathFor(headerDigest);
      await rename(temp, path);
      await this.evict(path);
      return path;
    } catch (e) {
      await unlink(temp).catch(() => {});
      throw e;
    }
  }

  /** Removes the least recently used bundles until the cache fits its bound; `keep` (just stored) stays. */
  async evict(keep?: string): Promise<void> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const files: { path: string; size: number; time: number }[] = [];
    for (const name of names) {
      if (!name.endsWith('.mbnd')) continue;
      const path = join(this.dir, name);
      const info = await stat(path).catch(() => undefined);
      if (info) files.push({ path, size: info.size, time: info.mtimeMs });
    }
    let total = files.reduce((sum, f) => sum + f.size, 0);
    files.sort((a, b) => a.time - b.time);
    for (const file of files) {
      if (total <= this.maxBytes) break;
      if (file.path === keep) continue;
      await unlink(file.path).catch(() => {});
      total -= file.size;
    }
  }
}
