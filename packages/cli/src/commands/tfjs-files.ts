import { ModelBundleError } from '@modelbundle/core';
import { out, outJson } from '../output.js';
import { readBundleFile, writeBundleFile } from '../progress.js';

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

/** Options of `modelbundle import`. */
export interface ImportOptions {
  output: string;
  json?: boolean;
}

/** Makes a bundle from a standard tfjs model directory or model.json (sharded weights included). */
export async function importCommand(modelJson: string, options: ImportOptions): Promise<number> {
  const { importTfjs } = await import('@modelbundle/tfjs/node');
  const bundle = await importTfjs(modelJson);
  await writeBundleFile(options.output, bundle);
  const size = bundle.header.sections.reduce((sum, s) => Math.max(sum, s.offset + s.length), 0);
  if (options.json) outJson({ file: options.output, kind: bundle.header.kind, sections: bundle.header.sections.length });
  else out(`Wrote ${options.output} (${bundle.header.kind}, ${bundle.header.sections.length} sections, ${size} data bytes).`);
  return 0;
}
