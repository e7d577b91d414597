import { ModelBundleError } from '@modelbundle/core';
import { out, outJson } from '../output.js';
import { readBundleFile } from '../progress.js';

/** Options of `modelbundle export`. */
export interface ExportOptions {
  format: string;
  json?: boolean;
}

/** Formats `export` writes, each with the plugin that knows how. */
const EXPORT_FORMATS = ['tfjs'] as const;

/** Writes a bundle in another tool's format; `tfjs` gives model.json + weight shards for plain tf.loadLayersModel. */
export async function exportCommand(file: string, dir: string, options: ExportOptions): Promise<number> {
  if (!(EXPORT_FORMATS as readonly string[]).includes(options.format)) {
    throw new ModelBundleError('INVALID_ARGUMENT', `--format ${options.format} is not supported; expected one of: ${EXPORT_FORMATS.join(', ')}.`);
  }
  const { exportTfjs } = await import('@modelbundle/tfjs/node');
  const modelJson = await exportTfjs(await readBundleFile(file), dir);
  if (options.json) outJson({ format: options.format, dir, modelJson });
  else out(`Wrote ${modelJson} and its weight files.`);
  return 0;
}
