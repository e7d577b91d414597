import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type Bundle, ModelBundleError } from '@modelbundle/core';
import { ioError } from '@modelbundle/core/node';
import { importTfjs } from '@modelbundle/tfjs/node';
import { type KerasToBundleOptions, kerasToBundle } from '../import.js';
import { detectKerasFormat } from '../read/detect.js';
import { importKerasTfjsFolder, isKeras3ModelJson } from './tfjs-folder.js';

export { importKerasTfjsFolder } from './tfjs-folder.js';

/**
 * Imports a Keras model from disk as a tfjs bundle: a `.keras` zip, a legacy
 * `.h5` file (whatever their names), or a tfjs model.json folder (or the
 * model.json itself), including the converter's output for Keras 3 models
 * that plain tfjs refuses. The format is told by the bytes.
 */
export async function importKeras(path: string, options: KerasToBundleOptions = {}): Promise<Bundle> {
  const info = await stat(path).catch((e) => Promise.reject(ioError('read', path, e)));
  const file = info.isDirectory() ? join(path, 'model.json') : path;
  const bytes = await readFile(file).catch((e) => Promise.reject(ioError('read', file, e)));
  const format = detectKerasFormat(bytes);
  if (format !== 'json') {
    if (info.isDirectory()) throw new ModelBundleError('INVALID_ARGUMENT', `${file} is not JSON; a tfjs model folder holds a model.json.`);
    return kerasToBundle(bytes, options);
  }
  if (isKeras3ModelJson(bytes)) return importKerasTfjsFolder(file, options);
  return importTfjs(file, { ...(options.metadata ? { metadata: options.metadata } : {}), ...(options.created ? { created: options.created } : {}) });
}
