import { stat } from 'node:fs/promises';
import { type Bundle, type BundleHead, checkSectionDigest } from '../envelope/bundle.js';
import type { OpenedHead } from '../pipeline/compose.js';
import { defaultRegistry } from '../registry/default.js';
import type { Registry, UnbundleOptions } from '../registry/registry.js';
import type { Serializer, SerializerContext } from '../registry/serializer.js';
import { type BundleFile, openBundleFile } from './bundle-file.js';
import { ioError } from './file-io.js';
import { readBundle, WHOLE_FILE_BYTES } from './read.js';

/** Options for {@link unbundleFile}: those of `unbundle`, and the registry to restore with. */
export interface UnbundleFileOptions extends UnbundleOptions, Pick<FileRestorer<unknown>, 'streamAbove' | 'onProgress'> {
  /** Default: {@link defaultRegistry}. */
  registry?: Registry;
}

/** What {@link unbundleFile} gives: the restored value and the file's header (read once, with the value). */
export interface UnbundledFile<T> {
  value: T;
  head: BundleHead;
}

/**
 * Restores the value in a bundle file, with every check of `unbundle`
 * (every section digest, trust, requires). A file larger than
 * {@link WHOLE_FILE_BYTES} whose serializer has `unbundleStreamed` (and
 * whose payload it reads as it is) is read one section at a time, as the
 * serializer asks for them, so a value that keeps its data elsewhere (tfjs
 * weights on wasm) never needs the file held whole; sections it did not ask
 * for are checked afterwards. Otherwise it is `unbundle(await readBundle(path))`.
 * When a section fails its check after the value was made, a value with a
 * `dispose()` method is disposed before the error is thrown.
 */
export function unbundleFile<T = unknown>(path: string, options: UnbundleFileOptions = {}): Promise<UnbundledFile<T>> {
  const { registry = defaultRegistry, streamAbove, onProgress, ...unbundleOptions } = options;
  return restoreFile<T>(path, {
    openHead: (head) => registry.openHead(head, unbundleOptions),
    unbundle: (bundle) => registry.unbundle<T>(bundle, unbundleOptions),
    context: { registry, options: {} },
    skipVerify: unbundleOptions.skipVerify === true,
    ...(streamAbove === undefined ? {} : { streamAbove }),
    ...(onProgress ? { onProgress } : {}),
  });
}

/** How {@link restoreFile} checks a header and restores a whole bundle: a registry's steps, or a package's own (tfjs's `loadModel`). */
export interface FileRestorer<T> {
  /** Trust, serializer and requires for a header whose sections are read afterwards (`openBundleHead`, `Registry.openHead`). */
  openHead(head: BundleHead): Promise<OpenedHead>;
  /** Restores a bundle read whole (a small file, or a serializer that does not stream). */
  unbundle(bundle: Bundle): Promise<T>;
  /** Handed to `unbundleStreamed`. */
  context?: SerializerContext;
  /** Read without checking digests (only for files already verified). */
  skipVerify?: boolean;
  /** Files larger than this many bytes are read section by section when the serializer can (default {@link WHOLE_FILE_BYTES}; 0: always). */
  streamAbove?: number;
  /**
   * Called as the file is read, with the bytes read so far and the file
   * size (`readBundle`'s and `openBundleFile`'s `onProgress`); the last call
   * has `read === total`. A large file whose serializer turns out not to
   * stream is read again whole, so the count can start over once.
   */
  onProgress?: (read: number, total: number) => void;
}

/** {@link unbundleFile} with the checks and the whole-bundle restore given by the caller. */
export async function restoreFile<T>(path: string, restorer: FileRestorer<T>): Promise<UnbundledFile<T>> {
  const verify = restorer.skipVerify !== true;
  const progress = restorer.onProgress ? { onProgress: restorer.onProgress } : {};
  const size = (await stat(path).catch((e) => Promise.reject(ioError('open', path, e)))).size;
  if (size > (restorer.streamAbove ?? WHOLE_FILE_BYTES)) {
    const file = await openBundleFile(path, { verify, ...progress });
    try {
      const { serializer, streams } = await restorer.openHead(file.head);
      if (streams) {
        const value = (await streamed(file, serializer, restorer.context ?? { options: {} }, verify)) as T;
        // Unverified, the sections the serializer did not ask for were never read: the file is done all the same.
        if (!verify) restorer.onProgress?.(size, size);
        return { value, head: file.head };
      }
    } finally {
      await file.close();
    }
  }
  const bundle = await readBundle(path, { verify, ...progress });
  const { sections: _sections, verified: _verified, ...head } = bundle;
  return { value: await restorer.unbundle(bundle), head };
}

/** The serializer's value from sections read as it asks for them; then every section it did not ask for is checked too. */
async function streamed(file: BundleFile, serializer: Serializer<any>, context: SerializerContext, verify: boolean): Promise<unknown> {
  const { header } = file.head;
  const lengths = new Map(header.sections.map((entry) => [entry.name, { byteLength: entry.length }]));
  const asked = new Set<string>();
  const read = (name: string, into?: Uint8Array) => {
    asked.add(name);
    return file.readSection(name, into);
  };
  const parts = { header, version: header.serializer.version, payload: header.payload, sections: { lengths, read } };
  const value = await (serializer.unbundleStreamed as NonNullable<Serializer['unbundleStreamed']>)(parts, context);
  try {
    const unread = verify ? header.sections.filter((entry) => !asked.has(entry.name)) : [];
    for (const entry of unread) checkSectionDigest(entry, await file.digestSection(entry.name));
  } catch (cause) {
    (value as { dispose?: () => void } | null)?.dispose?.();
    throw cause;
  }
  return value;
}
