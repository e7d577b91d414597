import type { Bundle } from '@modelbundle/core';
import { readBundle, writeBundle } from '@modelbundle/core/node';
import cliProgress from 'cli-progress';
import { colorEnabled, formatBytes } from './output.js';

/** Files at least this large get a progress bar (when stderr is a terminal). */
export const PROGRESS_MIN_BYTES = 32 * 1024 * 1024;

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

/**
 * An `onProgress(done, total)` callback that draws a bar from its first
 * call, once the total is known (none for small totals or off a terminal),
 * and `stop()`, which clears the bar; call it when the work ends, however it ends.
 */
export function progressReporter(label: string): { onProgress(done: number, total: number): void; stop(): void } {
  let bar: ReturnType<typeof progressBar> | undefined;
  return {
    onProgress: (done, total) => {
      bar ??= progressBar(label, total);
      bar.update(done);
    },
    stop: () => bar?.stop(),
  };
}

/** Reads a bundle file, with a progress bar for large files on a terminal. `verify` checks every section digest. */
export async function readBundleFile(path: string, verify = true): Promise<Bundle> {
  const progress = progressReporter('reading');
  try {
    return await readBundle(path, { verify, onProgress: progress.onProgress });
  } finally {
    progress.stop();
  }
}

/** Writes a bundle file atomically, with a progress bar for large files on a terminal. */
export async function writeBundleFile(path: string, bundle: Bundle): Promise<void> {
  const progress = progressReporter('writing');
  try {
    await writeBundle(path, bundle, { onProgress: progress.onProgress });
  } finally {
    progress.stop();
  }
}
