import { open } from 'node:fs/promises';
import { type Bundle, decodeBundle, ModelBundleError } from '@modelbundle/core';
import { readBundle, writeBundle } from '@modelbundle/core/node';
import cliProgress from 'cli-progress';
import { colorEnabled, formatBytes } from './output.js';

/** Files at least this large get a progress bar (when stderr is a terminal). */
export const PROGRESS_MIN_BYTES = 32 * 1024 * 1024;
/** Above this, the file is read section by section by readBundle (no single buffer, no bar). */
const SINGLE_BUFFER_MAX = 1024 * 1024 * 1024;
const CHUNK = 8 * 1024 * 1024;

/** A progress bar on stderr, or nothing when stderr is not a terminal: pipes and logs stay clean. */
export function progressBar(label: string, total: number): { update(done: number): void; stop(): void } {
  if (!process.stderr.isTTY || total < PROGRESS_MIN_BYTES) return { update() {}, stop() {} };
  const color = colorEnabled(process.stderr);
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `${label} {bar} {percentage}% | {done} of {size}`,
      hideCursor: true,
      clearOnComplete: true,
      barCompleteChar: color ? '\u2588' : '#',
      barIncompleteChar: color ? '\u2591' : '-',
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { done: formatBytes(0), size: formatBytes(total) });
  return {
    update: (done) => bar.update(done, { done: formatBytes(done), size: formatBytes(total) }),
    stop: () => bar.stop(),
  };
}

/** Reads a bundle file, with a progress bar for large files on a terminal. `verify` checks every section digest. */
export async function readBundleFile(path: string, verify = true): Promise<Bundle> {
  const handle = await open(path, 'r').catch(() => undefined);
  const size = handle ? (await handle.stat()).size : 0;
  if (!handle || !process.stderr.isTTY || size < PROGRESS_MIN_BYTES || size > SINGLE_BUFFER_MAX) {
    await handle?.close();
    return readBundle(path, { verify });
  }
  const bar = progressBar('reading', size);
  const bytes = new Uint8Array(size);
  try {
    for (let done = 0; done < size; ) {
      const { bytesRead } = await handle.read(bytes, done, Math.min(CHUNK, size - done), done);
      if (bytesRead === 0) throw new ModelBundleError('TRUNCATED', `${path} shrank to ${done} bytes while being read; read it again when nothing writes it.`);
      done += bytesRead;
      bar.update(done);
    }
  } finally {
    bar.stop();
    await handle.close();
  }
  return decodeBundle(bytes, { verify });
}

/** Writes a bundle file atomically, with a progress bar for large files on a terminal. */
export async function writeBundleFile(path: string, bundle: Bundle): Promise<void> {
  let bar: ReturnType<typeof progressBar> | undefined;
  try {
    await writeBundle(path, bundle, {
      onProgress: (written, total) => {
        bar ??= progressBar('writing', total);
        bar.update(written);
      },
    });
  } finally {
    bar?.stop();
  }
}
