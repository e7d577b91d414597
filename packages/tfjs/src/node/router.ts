import { ModelBundleError } from '@modelbundle/core';
import * as tf from '@tensorflow/tfjs-core';
import { type BundleFileOptions, bundleFile } from './file-handler.js';

/** The URL scheme {@link registerBundleScheme} routes by default: `mbnd://path/to/model.mbnd`. */
export const BUNDLE_SCHEME = 'mbnd://';

const registered = new Set<string>();

/**
 * Lets `model.save('mbnd://path')` and `tf.loadLayersModel('mbnd://path')`
 * use bundle files. Registers tfjs routers once per scheme; nothing is
 * registered until this is called.
 */
export function registerBundleScheme(scheme = BUNDLE_SCHEME, options: BundleFileOptions = {}): void {
  if (!/^[a-z][a-z0-9+.-]*:\/\/$/.test(scheme)) {
    throw new ModelBundleError('INVALID_ARGUMENT', `URL scheme "${scheme}" is not of the form "name://"; use e.g. "mbnd://".`);
  }
  if (registered.has(scheme)) return;
  registered.add(scheme);
  const route = (url: string | string[]): tf.io.IOHandler | null => {
    if (typeof url !== 'string' || !url.startsWith(scheme)) return null;
    return bundleFile(url.slice(scheme.length), options);
  };
  // tfjs routers answer null for URLs that are not theirs, though its type says otherwise.
  const router = route as unknown as Parameters<typeof tf.io.registerSaveRouter>[0];
  tf.io.registerSaveRouter(router);
  tf.io.registerLoadRouter(router);
}
