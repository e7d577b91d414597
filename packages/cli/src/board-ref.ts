import { existsSync, statSync } from 'node:fs';
import { type Board, type BoardModelRef, openBoard, parseModelRef } from '@modelbundle/boards';
import type { FileInspection } from '@modelbundle/core/node';
import { progressReporter } from './progress.js';

/** Options every board-aware command shares. */
export interface BoardAccessOptions {
  /** S3 endpoint (default AWS_ENDPOINT_URL). */
  endpoint?: string;
  /** Local cache of downloaded bundles (default MODELBUNDLE_CACHE or ~/.cache/modelbundle/boards). */
  cache?: string;
}

/** Opens a board named on the command line: a folder, s3://bucket/prefix or an http(s):// URL. */
export async function cliBoard(location: string, options: BoardAccessOptions = {}): Promise<Board> {
  // The AWS SDK warns on stderr that its 2027 releases will need Node 22; this command line supports Node 20.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { BundleCache } = await import('@modelbundle/boards');
  return openBoard(location, {
    ...(options.endpoint ? { s3: { endpoint: options.endpoint } } : {}),
    ...(options.cache ? { cache: new BundleCache(options.cache) } : {}),
  });
}

/**
 * `<board>/<name>@<ref>` when `arg` names a model on a board (s3://, http(s)://,
 * or an existing folder) rather than an existing file; undefined otherwise.
 */
export function boardRefOf(arg: string): BoardModelRef | undefined {
  if (existsSync(arg)) return undefined;
  const ref = parseModelRef(arg);
  if (!ref) return undefined;
  if (/^(s3|https?|file):\/\//.test(ref.board)) return ref;
  return existsSync(ref.board) && statSync(ref.board).isDirectory() ? ref : undefined;
}

/**
 * The local bundle file for a command's `<file>` argument: the argument itself,
 * or, for `<board>/<name>@<ref>`, the verified copy in the local cache
 * (downloaded with a progress bar when needed).
 */
export async function localBundleFile(arg: string, options: BoardAccessOptions = {}): Promise<string> {
  const ref = boardRefOf(arg);
  if (!ref) return arg;
  const board = await cliBoard(ref.board, options);
  const progress = progressReporter(`downloading ${ref.name}`);
  try {
    return (await board.read(ref.name, ref.ref, { onProgress: progress.onProgress })).path;
  } finally {
    progress.stop();
  }
}

/** For `inspect <board>/<name>@<ref>`: the header of the version, fetched alone (prefix and header only). Undefined for a plain file. */
export async function inspectBoardRef(arg: string, options: BoardAccessOptions = {}): Promise<FileInspection | undefined> {
  const ref = boardRefOf(arg);
  if (!ref) return undefined;
  const meta = await (await cliBoard(ref.board, options)).meta(ref.name, ref.ref);
  return {
    header: meta.header,
    fileLength: meta.size,
    headerLength: meta.headerLength,
    headerDigest: meta.headerDigest,
    signed: meta.signed,
    bytesRead: meta.bytesRead,
  };
}
