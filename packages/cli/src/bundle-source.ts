import { checkTrust, type Registry, type SignatureCheck } from '@modelbundle/core';
import { openBundleFile } from '@modelbundle/core/node';
import type { ModelSource } from '@modelbundle/serve';
import { progressReporter } from './progress.js';
import { cliRegistry } from './registry.js';

/** A local bundle file ready to be restored by `predict` or `serve`. */
export interface BundleFileSource {
  /** The key that verified the signature, when trusted keys were given. */
  trusted: SignatureCheck | undefined;
  /** The registry the header asks for (its serializer's and required plugins). */
  registry: Registry;
  /** What `loadModel` and `serve` restore: the file, with the same keys, and a progress bar for a large one. */
  source: ModelSource;
  /** Clears the progress bar; call it once the model is restored (or failed to be). */
  done(): void;
}

/**
 * Reads a bundle file's header alone and, with `trustedKeys`, checks its
 * signature, so an untrusted file is refused before any plugin loads or any
 * section is read. The model is then restored from the path, so a large
 * model whose serializer streams (tfjs) is read one section at a time,
 * never held whole beside the restored model; every section is checked
 * against its digest, and the signature again, as it is.
 */
export async function bundleFileSource(path: string, trustedKeys: CryptoKey[] | undefined): Promise<BundleFileSource> {
  const file = await openBundleFile(path);
  await file.close();
  const trust = trustedKeys ? { trustedKeys } : {};
  const trusted = await checkTrust(file.head, trust);
  const progress = progressReporter('reading');
  return {
    trusted,
    registry: await cliRegistry(file.head.header),
    source: { path, ...trust, onProgress: progress.onProgress },
    done: progress.stop,
  };
}
