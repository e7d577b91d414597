import { ModelBundleError } from '@modelbundle/core';
import { Board, type BoardOptions } from './board.js';
import { FolderStorage } from './storage/folder.js';
import { HttpStorage, type HttpStorageOptions } from './storage/http.js';
import { S3Storage, type S3StorageOptions } from './storage/s3.js';

/** Options for {@link openBoard}: the board's own, plus each backend's. */
export interface OpenBoardOptions extends BoardOptions {
  s3?: S3StorageOptions;
  http?: HttpStorageOptions;
}

/**
 * Opens a board from where it lives: a folder path (or `file://` URL),
 * `s3://bucket/prefix` (any S3-compatible store; set `s3.endpoint` or
 * `AWS_ENDPOINT_URL`), or an `http(s)://` URL (read-only).
 */
export function openBoard(location: string, options: OpenBoardOptions = {}): Board {
  if (location.startsWith('s3://')) {
    const rest = location.slice('s3://'.length);
    const slash = rest.indexOf('/');
    const bucket = slash < 0 ? rest : rest.slice(0, slash);
    if (!bucket) throw new ModelBundleError('INVALID_ARGUMENT', `"${location}" names no bucket. Write s3://<bucket>/<prefix>.`);
    return new Board(new S3Storage(bucket, slash < 0 ? '' : rest.slice(slash + 1), options.s3), options);
  }
  if (/^https?:\/\//.test(location)) return new Board(new HttpStorage(location, options.http), options);
  if (location.startsWith('file://')) return new Board(new FolderStorage(new URL(location).pathname), options);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) {
    throw new ModelBundleError('INVALID_ARGUMENT', `Boards live in a folder, s3://bucket/prefix or an http(s):// URL; "${location}" is none of these.`);
  }
  return new Board(new FolderStorage(location), options);
}

/** A model on a board: `<board>/<name>@<ref>`. */
export interface BoardModelRef {
  board: string;
  name: string;
  /** `latest`, a version id or an alias. */
  ref: string;
}

/**
 * Splits `<board>/<name>@<ref>` (for example `s3://models/prod/penguins@champion`
 * or `./boards/penguins@latest`). Undefined when `text` has no `@<ref>` after its
 * last `/`, so plain file paths pass through.
 */
export function parseModelRef(text: string): BoardModelRef | undefined {
  const m = /^(.*)\/([A-Za-z0-9][A-Za-z0-9._-]*)@([A-Za-z0-9][A-Za-z0-9._-]*)$/.exec(text);
  if (!m) return undefined;
  const [, board, name, ref] = m as unknown as [string, string, string, string];
  if (board === '' || board.endsWith(':/')) return undefined;
  return { board, name, ref };
}
